"""Staff file a buyer's request in admin (public host): the add form runs through ``dsr_file``,
which resolves the buyer, starts the clock on the date received and audits the filing."""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from compliance.audit.models import ActorKind, AuditAction, AuditEvent
from compliance.models import DataSubjectRequest
from tests.compliance.dsr_support import (
    days_ago,
    ddmmyyyy,
    order_create,
    question_create,
    seller_today,
)
from tests.factories.users import STAFF_EMAIL

pytestmark = pytest.mark.django_db

ADD = "/admin/compliance/datasubjectrequest/add/"
ENGLISH = {"Accept-Language": "en"}


def filing(tenant, **fields):
    return {
        "tenant": tenant.pk,
        "buyer": "987654321",
        "kind": "erasure",
        "channel": "ML message",
        "contact_email": "",
        "received_on": ddmmyyyy(days_ago(3)),
        **fields,
    }


def test_the_add_form_asks_for_the_buyer_and_defaults_the_date_to_today(staff_client):
    page = staff_client.get(ADD, headers=ENGLISH)

    assert page.status_code == 200
    for name in ("tenant", "buyer", "kind", "channel", "contact_email", "received_on"):
        assert f'name="{name}"' in page.text
    assert f'value="{ddmmyyyy(seller_today())}"' in page.text
    assert 'placeholder="dd/mm/yyyy"' in page.text


def test_staff_file_a_buyers_request_and_its_clock_starts_on_the_day_received(
    staff_client, tenant_a
):
    received = days_ago(3)

    response = staff_client.post(ADD, filing(tenant_a), headers=ENGLISH)

    request = DataSubjectRequest.objects.get(tenant=tenant_a)
    assert response.status_code == 302
    assert response["Location"] == f"/admin/compliance/datasubjectrequest/{request.pk}/change/"
    start = datetime.combine(received, time.min, tzinfo=ZoneInfo("America/Sao_Paulo"))
    assert (request.scope, request.kind, request.subject_ml_user_id) == (
        "buyer",
        "erasure",
        987654321,
    )
    assert (request.channel, request.filed_by, request.identity) == (
        "ML message",
        STAFF_EMAIL,
        "pending",
    )
    assert request.received_at == start
    # Due at the end of the 15th day after the day received, in the store's calendar.
    assert request.due_at == datetime.combine(
        start.date() + timedelta(days=15), time.max, tzinfo=start.tzinfo
    )
    event = AuditEvent.objects.get(action=AuditAction.DSR_FILED, object_id=str(request.pk))
    assert (event.actor_kind, event.actor_email, event.tenant_schema) == (
        ActorKind.STAFF,
        STAFF_EMAIL,
        "tenant-a",
    )
    assert event.details["channel"] == "ML message"


def test_a_nickname_is_resolved_against_the_stores_orders_and_questions(
    staff_client, tenant_a, tenant_b
):
    order_create(tenant_a, order_id=2000000001, buyer=555001, nickname="COMPRADORA_ANA")
    question_create(tenant_a, question_id=3000000001, buyer=555002, nickname="PERGUNTADOR")
    order_create(tenant_b, order_id=2000000002, buyer=999999, nickname="PERGUNTADOR")

    staff_client.post(ADD, filing(tenant_a, buyer="compradora_ana"))
    staff_client.post(ADD, filing(tenant_a, buyer="Perguntador", kind="access"))

    assert sorted(
        DataSubjectRequest.objects.filter(tenant=tenant_a).values_list("kind", "subject_ml_user_id")
    ) == [("access", 555002), ("erasure", 555001)]


@pytest.mark.parametrize(
    ("buyer", "error"),
    [
        ("NINGUEM", "No buyer named NINGUEM in this store"),
        ("DUPLO", "DUPLO names several buyers in this store (ids 555001, 555002)"),
    ],
)
def test_an_unknown_or_ambiguous_nickname_is_refused_with_a_clear_error(
    staff_client, tenant_a, buyer, error
):
    order_create(tenant_a, order_id=2000000001, buyer=555001, nickname="DUPLO")
    order_create(tenant_a, order_id=2000000002, buyer=555002, nickname="duplo")

    response = staff_client.post(ADD, filing(tenant_a, buyer=buyer), headers=ENGLISH)

    assert response.status_code == 200
    assert error in response.text
    assert not DataSubjectRequest.objects.exists()


def test_a_date_received_in_the_future_is_refused(staff_client, tenant_a):
    tomorrow = ddmmyyyy(seller_today() + timedelta(days=1))

    response = staff_client.post(ADD, filing(tenant_a, received_on=tomorrow), headers=ENGLISH)

    assert response.status_code == 200
    assert "The date received cannot be in the future." in response.text
    assert not DataSubjectRequest.objects.exists()


def test_a_request_by_e_mail_needs_the_address_to_answer_to(staff_client, tenant_a):
    missing = staff_client.post(ADD, filing(tenant_a, channel="e-mail"), headers=ENGLISH)
    given = staff_client.post(
        ADD, filing(tenant_a, channel="e-mail", contact_email="Ana@Example.com")
    )

    assert "needs the address to answer to" in missing.text
    assert given.status_code == 302
    assert DataSubjectRequest.objects.get().contact_email == "ana@example.com"


def test_filing_the_same_request_again_joins_the_open_one(staff_client, tenant_a):
    staff_client.post(ADD, filing(tenant_a))

    again = staff_client.post(ADD, filing(tenant_a), follow=True, headers=ENGLISH)

    assert DataSubjectRequest.objects.count() == 1
    assert "already open" in again.text
    assert AuditEvent.objects.filter(action=AuditAction.DSR_FILED).count() == 1
