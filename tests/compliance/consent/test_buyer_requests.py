"""The store's managers file their buyers' requests on the privacy page (store host): the seller
is the controller of its buyers' data. Members cannot; errors and dates read in pt-BR."""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.test import Client

from compliance.audit.models import ActorKind, AuditAction, AuditEvent
from compliance.models import DataSubjectRequest
from tests.compliance.dsr_support import days_ago, ddmmyyyy, order_create, seller_today
from tests.factories.users import store_user_create
from tests.support.clients import store_client
from users.models import Role

pytestmark = pytest.mark.django_db

FILE = "/privacy/buyer-requests"
MEMBER_PASSWORD = "a-long-member-password-1"


def filing(**fields):
    return {
        "buyer": "COMPRADORA_ANA",
        "kind": "access",
        "channel": "ML message",
        "contact_email": "",
        "received_on": ddmmyyyy(days_ago(2)),
        **fields,
    }


def signed_in(tenant, email: str, role: str) -> Client:
    store_user_create(tenant, email, MEMBER_PASSWORD, role=role)
    client = Client(HTTP_HOST=tenant.get_primary_domain().domain)
    assert client.post("/login/", {"username": email, "password": MEMBER_PASSWORD}).status_code
    return client


def test_the_owner_sees_the_form_in_portuguese_with_todays_date(tenant_a):
    page = store_client(tenant_a, login=True).get("/privacy/").text

    assert 'id="buyer-request-form"' in page
    assert "Pedidos dos seus compradores" in page
    assert 'placeholder="dd/mm/aaaa"' in page
    assert f'value="{ddmmyyyy(seller_today())}"' in page


def test_the_owner_files_a_buyers_request_by_nickname(tenant_a):
    order_create(tenant_a, order_id=2000000001, buyer=555001, nickname="COMPRADORA_ANA")
    client = store_client(tenant_a, login=True)

    response = client.post(FILE, filing(), follow=True)

    request = DataSubjectRequest.objects.get(tenant=tenant_a)
    start = datetime.combine(days_ago(2), time.min, tzinfo=ZoneInfo("America/Sao_Paulo"))
    assert (request.scope, request.kind, request.subject_ml_user_id) == ("buyer", "access", 555001)
    # Due at the end of the 15th day after the day received, in the store's calendar.
    due = datetime.combine(start.date() + timedelta(days=15), time.max, tzinfo=start.tzinfo)
    assert (request.received_at, request.due_at) == (start, due)
    assert request.filed_by == tenant_a.owner_email
    assert "Pedido registrado para o comprador 555001" in response.text
    row = response.text.split(f'id="buyer-request-{request.pk}"', 1)[1].split("</tr>", 1)[0]
    assert "Ainda não verificada" in row
    assert ddmmyyyy(request.due_at.astimezone(ZoneInfo("America/Sao_Paulo"))) in row
    event = AuditEvent.objects.get(action=AuditAction.DSR_FILED, object_id=str(request.pk))
    assert (event.actor_kind, event.actor_email) == (ActorKind.USER, tenant_a.owner_email)


def test_an_admin_may_file_too(tenant_a):
    client = signed_in(tenant_a, "admin@a.example.com", Role.ADMIN)

    response = client.post(FILE, filing(buyer="123456"))

    assert response.status_code == 302
    assert DataSubjectRequest.objects.get().filed_by == "admin@a.example.com"


def test_a_member_neither_sees_the_form_nor_may_file(tenant_a):
    client = signed_in(tenant_a, "member@a.example.com", Role.MEMBER)

    page = client.get("/privacy/").text
    refused = client.post(FILE, filing(buyer="123456"))

    assert 'id="buyer-request-form"' not in page
    assert refused.status_code == 403
    assert not DataSubjectRequest.objects.exists()


def test_an_unknown_nickname_is_answered_next_to_the_field_in_portuguese(tenant_a):
    client = store_client(tenant_a, login=True)

    response = client.post(FILE, filing(buyer="NINGUEM"))

    assert response.status_code == 400
    assert 'id="buyer-errors"' in response.text
    assert "Nenhum comprador com o apelido NINGUEM" in response.text
    assert not DataSubjectRequest.objects.exists()


def test_a_future_date_is_refused_in_portuguese(tenant_a):
    tomorrow = ddmmyyyy(seller_today() + timedelta(days=1))

    response = store_client(tenant_a, login=True).post(
        FILE, filing(buyer="123456", received_on=tomorrow)
    )

    assert response.status_code == 400
    assert "A data de recebimento não pode estar no futuro." in response.text


def test_another_stores_buyers_requests_are_not_listed(tenant_a, tenant_b):
    store_client(tenant_b, login=True).post(FILE, filing(buyer="777"))

    theirs = store_client(tenant_b, login=True).get("/privacy/").text
    mine = store_client(tenant_a, login=True).get("/privacy/").text

    assert 'id="buyer-request-list"' in theirs
    assert 'id="buyer-request-list"' not in mine
