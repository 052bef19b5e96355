"""The billing page speaks the seller's language: its messages, the services' refusals, the
subscription status and the access reason, pt-BR by default and English when chosen."""

import pytest
from django.utils import timezone

from billing.models import Plan, SubscriptionMirror
from billing.sync import entitlement_forget
from tenants.models import Tenant
from tests.support.clients import store_client

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _portuguese_by_default(settings) -> None:
    """The shipped default, whatever a conftest chooses for English-language assertions."""
    settings.LANGUAGE_CODE = "pt-br"


def subscription(tenant: Tenant, status: str) -> None:
    SubscriptionMirror.objects.create(
        tenant=tenant,
        stripe_customer_id="cus_i18n",
        stripe_subscription_id="sub_i18n",
        status=status,
        plan=Plan.objects.get(code="pro"),
        synced_at=timezone.now(),
    )
    entitlement_forget(tenant.pk)


def english(client) -> None:
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/billing/"})
    assert response.status_code == 302


def test_a_billing_message_is_portuguese_by_default_and_english_when_chosen(tenant_a):
    client = store_client(tenant_a, login=True)

    pt = client.get("/billing/?checkout=canceled").text
    english(client)
    en = client.get("/billing/?checkout=canceled").text

    assert "Pagamento cancelado; nada foi cobrado." in pt
    assert "Checkout canceled" not in pt
    assert "Checkout canceled; nothing was charged." in en


def test_a_refusal_raised_by_the_checkout_service_reaches_the_page_translated(tenant_a):
    # Not synced to Stripe: the service refuses before calling it.
    Plan.objects.filter(code="pro").update(stripe_price_id="")
    client = store_client(tenant_a, login=True)

    pt = client.post("/billing/checkout", {"plan": "pro"}, follow=True).text
    english(client)
    en = client.post("/billing/checkout", {"plan": "pro"}, follow=True).text

    assert "O plano Pro não está à venda no momento; tente novamente mais tarde." in pt
    assert "The Pro plan is not on sale right now; please try again later." in en


def test_the_subscription_status_label_and_access_reason_are_translated(tenant_a):
    subscription(tenant_a, "active")
    client = store_client(tenant_a, login=True)

    pt = client.get("/billing/").text
    english(client)
    en = client.get("/billing/").text

    assert '<dd id="subscription-status">Ativa</dd>' in pt
    assert '<dd id="access">Ativo.' in pt
    assert '<dd id="subscription-status">Active</dd>' in en
    assert '<dd id="access">Active.' in en


def test_a_blocked_store_reads_why_in_portuguese(tenant_a):
    subscription(tenant_a, "canceled")
    client = store_client(tenant_a, login=True)

    redirected = client.get("/", follow=True).text

    assert '<dd id="subscription-status">Cancelada</dd>' in redirected
    assert "Sua assinatura terminou; assine novamente para usar o Peepers." in redirected
