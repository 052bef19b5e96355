"""Identity before disclosure: export and erasure wait for a recorded verification (who, how,
when, audited); a subject signed in to their own account is verified by that login."""

import pytest
from django.contrib.auth.models import Permission
from django.test import Client

from compliance.audit.models import ActorKind, AuditAction, AuditEvent
from compliance.dsr.answers import dsr_erase, dsr_export
from compliance.dsr.requests import dsr_open
from compliance.errors import IdentityNotVerified
from compliance.models import DataSubjectRequest, RequestKind, RequestScope
from tests.compliance.dsr_support import order_create
from tests.factories.users import STAFF_EMAIL
from tests.support.clients import store_client
from users.models import User

pytestmark = pytest.mark.django_db

LIST = "/admin/compliance/datasubjectrequest/"
ENGLISH = {"Accept-Language": "en"}
BUYER = 555001


def buyer_request(tenant, kind: RequestKind) -> DataSubjectRequest:
    return dsr_open(
        tenant=tenant,
        scope=RequestScope.BUYER,
        kind=kind,
        channel="ML message",
        subject_ml_user_id=BUYER,
    ).request


def verify_url(request: DataSubjectRequest) -> str:
    return f"{LIST}{request.pk}/verify/"


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def test_the_export_action_refuses_an_unverified_request(staff_client, tenant_a):
    order_create(tenant_a, order_id=2000000001, buyer=BUYER, nickname="ANA")
    access = buyer_request(tenant_a, RequestKind.ACCESS)

    done = staff_client.post(
        LIST,
        {"action": "export_data", "_selected_action": [access.pk]},
        follow=True,
        headers=ENGLISH,
    )

    access.refresh_from_db()
    assert (access.export_path, access.status) == ("", "received")
    assert any("identity is not verified yet" in m for m in messages_of(done))
    assert not AuditEvent.objects.filter(action=AuditAction.DATA_EXPORT).exists()


def test_the_services_refuse_an_unverified_request_whoever_calls_them(staff_client, tenant_a):
    staff = User.objects.get(email=STAFF_EMAIL)
    access = buyer_request(tenant_a, RequestKind.ACCESS)
    erasure = buyer_request(tenant_a, RequestKind.ERASURE)

    with pytest.raises(IdentityNotVerified):
        dsr_export(request=access, by=staff)
    with pytest.raises(IdentityNotVerified):
        dsr_erase(request=erasure, by=staff)

    erasure.refresh_from_db()
    assert erasure.status == "received"
    assert not erasure.erasure_steps.exists()


def test_staff_record_who_verified_how_and_when_then_may_export(staff_client, tenant_a):
    order_create(tenant_a, order_id=2000000001, buyer=BUYER, nickname="ANA")
    access = buyer_request(tenant_a, RequestKind.ACCESS)

    change = staff_client.get(f"{LIST}{access.pk}/change/", headers=ENGLISH)
    form = staff_client.get(verify_url(access), headers=ENGLISH)
    recorded = staff_client.post(
        verify_url(access), {"method": "ml_message", "note": "Mensagem 123 no pedido 2000000001"}
    )
    exported = staff_client.post(
        LIST, {"action": "export_data", "_selected_action": [access.pk]}, follow=True
    )

    assert 'id="verify-identity"' in change.text
    assert 'name="method"' in form.text
    assert 'value="login"' not in form.text  # a login verifies only the subject's own requests
    assert recorded.status_code == 302
    access.refresh_from_db()
    assert (access.identity, access.verified_by, access.verification_method) == (
        "verified",
        STAFF_EMAIL,
        "ml_message",
    )
    assert access.verification_note == "Mensagem 123 no pedido 2000000001"
    assert access.verified_at is not None
    event = AuditEvent.objects.get(action=AuditAction.DSR_IDENTITY_VERIFIED)
    assert (event.actor_kind, event.actor_email, event.object_id) == (
        ActorKind.STAFF,
        STAFF_EMAIL,
        str(access.pk),
    )
    assert event.details == {"method": "ml_message", "note": "Mensagem 123 no pedido 2000000001"}
    assert any("export ready" in m for m in messages_of(exported))
    access.refresh_from_db()
    assert access.status == "in_progress"
    assert access.export_path


def test_other_means_of_verification_need_a_note(staff_client, tenant_a):
    erasure = buyer_request(tenant_a, RequestKind.ERASURE)

    response = staff_client.post(verify_url(erasure), {"method": "other"}, headers=ENGLISH)

    assert response.status_code == 200
    assert "Describe in the note how the identity was verified." in response.text
    erasure.refresh_from_db()
    assert erasure.identity == "pending"


def test_staff_who_may_only_view_cannot_verify(tenant_a):
    viewer = User.objects.create_user(
        "viewer@peepers.test", "a-long-viewer-password-1", is_staff=True
    )
    viewer.user_permissions.add(Permission.objects.get(codename="view_datasubjectrequest"))
    client = Client(HTTP_HOST="localhost")
    assert client.login(username="viewer@peepers.test", password="a-long-viewer-password-1")
    erasure = buyer_request(tenant_a, RequestKind.ERASURE)

    response = client.post(verify_url(erasure), {"method": "document", "note": "RG"})

    assert response.status_code == 403
    erasure.refresh_from_db()
    assert erasure.identity == "pending"


def test_a_request_filed_in_the_privacy_center_is_verified_by_the_login(tenant_a):
    client = store_client(tenant_a, login=True)

    client.post("/privacy/erasure", {"confirm": "on"})
    client.post("/privacy/export")

    for request in DataSubjectRequest.objects.filter(tenant=tenant_a):
        assert (request.identity, request.verification_method, request.verified_by) == (
            "verified",
            "login",
            tenant_a.owner_email,
        )
        event = AuditEvent.objects.get(
            action=AuditAction.DSR_IDENTITY_VERIFIED, object_id=str(request.pk)
        )
        assert (event.actor_kind, event.details["method"]) == (ActorKind.USER, "login")
