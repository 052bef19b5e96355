"""The billing page speaks the seller's language: its messages, the services' refusals, the
subscription status and the access reason, pt-BR by default and English when chosen."""

import pytest

from billing.models import Plan
from tests.support.billing import subscription_set
from tests.support.clients import store_client
from tests.support.i18n import choose_english

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("portuguese")]


def test_a_billing_message_is_portuguese_by_default_and_english_when_chosen(tenant_a):
    client = store_client(tenant_a, login=True)

    pt = client.get("/billing/?checkout=canceled").text
    choose_english(client, "/billing/")
    en = client.get("/billing/?checkout=canceled").text

    assert "Pagamento cancelado; nada foi cobrado." in pt
    assert "Checkout canceled" not in pt
    assert "Checkout canceled; nothing was charged." in en


def test_a_refusal_raised_by_the_checkout_service_reaches_the_page_translated(tenant_a):
    # Not synced to Stripe: the service refuses before calling it.
    Plan.objects.filter(code="pro").update(stripe_price_id="")
    client = store_client(tenant_a, login=True)

    pt = client.post("/billing/checkout", {"plan": "pro"}, follow=True).text
    choose_english(client, "/billing/")
    en = client.post("/billing/checkout", {"plan": "pro"}, follow=True).text

    assert "O plano Pro não está à venda no momento; tente novamente mais tarde." in pt
    assert "The Pro plan is not on sale right now; please try again later." in en


def test_the_subscription_status_label_and_access_reason_are_translated(tenant_a):
    subscription_set(tenant_a, "active", plan_code="pro")
    client = store_client(tenant_a, login=True)

    pt = client.get("/billing/").text
    choose_english(client, "/billing/")
    en = client.get("/billing/").text

    assert '<dd id="subscription-status">Ativa</dd>' in pt
    assert '<dd id="access">Ativo.' in pt
    assert '<dd id="subscription-status">Active</dd>' in en
    assert '<dd id="access">Active.' in en


def test_a_blocked_store_reads_why_in_portuguese(tenant_a):
    subscription_set(tenant_a, "canceled", plan_code="pro")
    client = store_client(tenant_a, login=True)

    redirected = client.get("/", follow=True).text

    assert '<dd id="subscription-status">Cancelada</dd>' in redirected
    assert "Sua assinatura terminou; assine novamente para usar o Peepers." in redirected
