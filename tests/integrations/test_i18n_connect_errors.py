"""Connect refusals and account statuses in the seller's language: pt-BR by default, English
when chosen (Accept-Language on the public callback, the language switch on the store's pages)."""

import time

import pytest
from django.core import signing
from django.test import Client
from django.utils import translation
from django_tenants.utils import tenant_context

from integrations.mercadolivre.errors import MLPlanLimitReached
from integrations.mercadolivre.models import MLAccount, MLAccountStatus
from integrations.mercadolivre.services import STATE_SALT, ml_connect_start
from tests.integrations.support import connect
from tests.integrations.test_inbox import deliver
from tests.support.billing import subscription_set
from tests.support.clients import store_client
from tests.support.sandbox import approve

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("portuguese")]

SETTINGS_PAGE = "/settings/mercado-livre/"


def started_callback(tenant, sandbox) -> dict[str, str]:
    response = store_client(tenant, login=True).post("/settings/mercado-livre/connect")
    assert response.status_code == 302
    return approve(response["Location"], seller_id=sandbox.sellers[0].id)


def expired(state: str) -> str:
    class LongAgo(signing.TimestampSigner):
        def timestamp(self) -> str:
            return signing.b62_encode(int(time.time()) - 3600)

    payload = signing.loads(state, salt=STATE_SALT)
    return LongAgo(salt=STATE_SALT).sign_object(payload, compress=True)


def test_a_read_only_store_is_refused_connecting_in_portuguese_then_in_english(tenant_a):
    subscription_set(tenant_a, "unpaid")

    with pytest.raises(MLPlanLimitReached) as pt:
        ml_connect_start(tenant=tenant_a, started_by="owner")
    with translation.override("en"), pytest.raises(MLPlanLimitReached) as en:
        ml_connect_start(tenant=tenant_a, started_by="owner")

    assert pt.value.message == (
        "Sua assinatura não foi paga; o Peepers fica somente leitura até a fatura ser paga. "
        "Veja /billing/."
    )
    assert en.value.message == (
        "Your subscription is unpaid; Peepers is read-only until the invoice is paid. "
        "See /billing/."
    )


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({}, "Esta tentativa de conexão expirou; comece de novo."),
        ({"HTTP_ACCEPT_LANGUAGE": "pt-BR"}, "Esta tentativa de conexão expirou; comece de novo."),
        ({"HTTP_ACCEPT_LANGUAGE": "en"}, "This connection attempt expired; start again."),
    ],
)
def test_an_expired_connection_attempt_is_explained_in_the_sellers_language(
    sandbox, tenant_a, headers, expected
):
    params = started_callback(tenant_a, sandbox)

    response = Client(HTTP_HOST="localhost", **headers).get(
        "/auth/callback", {**params, "state": expired(params["state"])}
    )

    assert response.status_code == 400
    assert expected in response.text


@pytest.mark.parametrize(
    ("headers", "expected", "absent"),
    [
        ({}, "Este link foi alterado ou não é nosso; comece de novo.", "start again"),
        (
            {"HTTP_ACCEPT_LANGUAGE": "en"},
            "This link was altered or is not ours; start again.",
            "comece de novo",
        ),
    ],
)
def test_an_altered_link_is_explained_in_the_sellers_language(
    sandbox, tenant_a, headers, expected, absent
):
    params = started_callback(tenant_a, sandbox)

    response = Client(HTTP_HOST="localhost", **headers).get(
        "/auth/callback", {**params, "state": params["state"][:-3] + "abc"}
    )

    assert response.status_code == 400
    assert expected in response.text
    assert absent not in response.text


def test_the_settings_page_shows_the_account_status_in_portuguese_then_in_english(
    sandbox, tenant_a
):
    connect(sandbox, tenant_a)
    client = store_client(tenant_a, login=True)

    connected_pt = client.get(SETTINGS_PAGE).text
    with tenant_context(tenant_a):
        MLAccount.objects.update(status=MLAccountStatus.NEEDS_RECONNECTION)
    reconnect_pt = client.get(SETTINGS_PAGE).text
    client.post("/i18n/setlang/", {"language": "en", "next": SETTINGS_PAGE})
    reconnect_en = client.get(SETTINGS_PAGE).text

    assert "<dd>Conectado</dd>" in connected_pt
    assert "<dd>Precisa reconectar</dd>" in reconnect_pt
    assert "<dd>Needs reconnection</dd>" in reconnect_en


def test_the_sync_page_shows_a_notifications_status_in_portuguese(sandbox, tenant_a):
    seller_id = connect(sandbox, tenant_a)
    deliver(seller_id, "items", "/items/MLB1", "n-i18n")

    page = store_client(tenant_a, login=True).get("/sync/").text

    assert '<span class="badge badge-pending">Pendente</span>' in page
