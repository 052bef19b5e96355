"""Staff handling data-subject requests in the admin: each status change is audited under the
staff member who made it, and only staff allowed to change requests can make it."""

import pytest
from django.contrib.auth.models import Permission
from django.test import Client

from compliance.audit.models import ActorKind, AuditAction, AuditEvent
from compliance.dsr.requests import dsr_mark_answered, dsr_open
from compliance.errors import RequestNotPermitted
from compliance.models import DataSubjectRequest, IdentityState, RequestKind, RequestScope
from tenants.models import Tenant
from tests.factories.users import STAFF_EMAIL
from users.models import User

pytestmark = pytest.mark.django_db

LIST = "/admin/compliance/datasubjectrequest/"
VIEWER_EMAIL = "viewer@peepers.test"
VIEWER_PASSWORD = "a-long-viewer-password-1"


def opened(tenant: Tenant, kind: RequestKind, ml_user_id: int) -> DataSubjectRequest:
    return dsr_open(
        tenant=tenant,
        scope=RequestScope.BUYER,
        kind=kind,
        channel="e-mail",
        subject_ml_user_id=ml_user_id,
    ).request


def verified(request: DataSubjectRequest) -> DataSubjectRequest:
    DataSubjectRequest.objects.filter(pk=request.pk).update(identity=IdentityState.VERIFIED)
    request.refresh_from_db()
    return request


def act(client: Client, action: str, *requests: DataSubjectRequest):
    return client.post(
        LIST, {"action": action, "_selected_action": [r.pk for r in requests]}, follow=True
    )


def status_trail(request: DataSubjectRequest) -> list[tuple[str, str, str, str, str]]:
    return [
        (e.actor_kind, e.actor_email, e.details["from"], e.details["to"], e.tenant_schema)
        for e in AuditEvent.objects.filter(
            action=AuditAction.DSR_STATUS_CHANGED,
            object_type="compliance.datasubjectrequest",
            object_id=str(request.pk),
        ).order_by("pk")
    ]


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def test_the_export_action_audits_the_move_to_in_progress_under_the_staff_member(
    staff_client, tenant_a
):
    access = verified(opened(tenant_a, RequestKind.ACCESS, 424242))

    done = act(staff_client, "export_data", access)

    access.refresh_from_db()
    assert access.status == "in_progress"
    assert access.handled_by == STAFF_EMAIL
    assert any("export ready" in m for m in messages_of(done))
    assert status_trail(access) == [
        (ActorKind.STAFF, STAFF_EMAIL, "received", "in_progress", "tenant-a")
    ]


def test_exporting_again_changes_nothing_and_audits_nothing_more(staff_client, tenant_a):
    access = verified(opened(tenant_a, RequestKind.ACCESS, 424242))

    act(staff_client, "export_data", access)
    act(staff_client, "export_data", access)

    assert len(status_trail(access)) == 1


def test_the_erase_action_audits_the_answer_under_the_staff_member(staff_client, tenant_a):
    erasure = opened(tenant_a, RequestKind.ERASURE, 424242)
    DataSubjectRequest.objects.filter(pk=erasure.pk).update(identity=IdentityState.VERIFIED)

    done = act(staff_client, "erase_data", erasure)

    erasure.refresh_from_db()
    assert erasure.status == "completed"
    assert erasure.completed_at is not None
    assert erasure.outcome.startswith("erased: ")
    assert any(": erased (" in m for m in messages_of(done))
    assert status_trail(erasure) == [
        (ActorKind.STAFF, STAFF_EMAIL, "received", "completed", "tenant-a")
    ]


def test_an_unverified_erasure_is_refused_and_leaves_no_status_trail(staff_client, tenant_a):
    erasure = opened(tenant_a, RequestKind.ERASURE, 424242)

    done = act(staff_client, "erase_data", erasure)

    erasure.refresh_from_db()
    assert erasure.status == "received"
    assert any("only verified erasure requests can be executed." in m for m in messages_of(done))
    assert status_trail(erasure) == []


def test_mark_answered_audits_each_open_request_and_skips_answered_ones(
    staff_client, tenant_a, tenant_b
):
    first = opened(tenant_a, RequestKind.ACCESS, 111)
    second = opened(tenant_b, RequestKind.ACCESS, 222)
    answered = opened(tenant_a, RequestKind.ACCESS, 333)
    DataSubjectRequest.objects.filter(pk=answered.pk).update(status="completed")

    done = act(staff_client, "mark_completed", first, second, answered)

    assert "2 request(s) marked answered." in messages_of(done)
    assert status_trail(first) == [
        (ActorKind.STAFF, STAFF_EMAIL, "received", "completed", "tenant-a")
    ]
    assert status_trail(second) == [
        (ActorKind.STAFF, STAFF_EMAIL, "received", "completed", "tenant-b")
    ]
    assert status_trail(answered) == []


@pytest.fixture
def viewer() -> User:
    """Staff who may look at requests but not change them."""
    user = User.objects.create_user(VIEWER_EMAIL, VIEWER_PASSWORD, is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_datasubjectrequest"))
    return user


def test_staff_who_may_only_view_cannot_mark_requests_answered_in_the_admin(viewer, tenant_a):
    request = opened(tenant_a, RequestKind.ACCESS, 111)
    client = Client(HTTP_HOST="localhost")
    assert client.login(username=VIEWER_EMAIL, password=VIEWER_PASSWORD)

    assert client.get(LIST).status_code == 200
    act(client, "mark_completed", request)

    request.refresh_from_db()
    assert request.status == "received"
    assert status_trail(request) == []


def test_the_service_refuses_staff_who_may_only_view(viewer, tenant_a):
    request = opened(tenant_a, RequestKind.ACCESS, 111)

    with pytest.raises(RequestNotPermitted):
        dsr_mark_answered(requests=DataSubjectRequest.objects.filter(pk=request.pk), by=viewer)

    request.refresh_from_db()
    assert request.status == "received"
