"""What a store may do, from its subscription status: the policy table, and where it is enforced."""

from datetime import timedelta

import pytest
from django.utils import timezone

from billing.entitlements import Access, entitlements_for
from billing.models import Plan, SubscriptionMirror
from billing.sync import entitlement_forget
from tenants.models import Tenant
from tests.support.clients import store_client

pytestmark = pytest.mark.django_db

NOW = timezone.now()


def mirror(tenant: Tenant, status: str, **fields) -> SubscriptionMirror:
    entitlement_forget(tenant.pk)
    row, _ = SubscriptionMirror.objects.update_or_create(
        tenant=tenant,
        defaults={
            "stripe_customer_id": "cus_x",
            "stripe_subscription_id": "sub_x",
            "status": status,
            "plan": Plan.objects.get(code="pro"),
            "synced_at": NOW,
            **fields,
        },
    )
    entitlement_forget(tenant.pk)
    return row


@pytest.mark.parametrize(
    ("status", "fields", "expected"),
    [
        ("trialing", {}, Access.FULL),
        ("active", {}, Access.FULL),
        ("past_due", {"payment_failed_since": NOW - timedelta(days=2)}, Access.FULL),
        ("past_due", {"payment_failed_since": NOW - timedelta(days=8)}, Access.READ_ONLY),
        ("unpaid", {}, Access.READ_ONLY),
        ("canceled", {}, Access.BLOCKED),
        ("incomplete_expired", {}, Access.BLOCKED),
        ("paused", {}, Access.BLOCKED),
    ],
)
def test_access_follows_the_subscription_status(tenant_a, settings, status, fields, expected):
    settings.BILLING_GRACE_DAYS = 7
    mirror(tenant_a, status, **fields)

    entitlement = entitlements_for(tenant=tenant_a, now=NOW)

    assert entitlement.access == expected
    assert entitlement.limits.code == "pro"


def test_the_grace_period_ends_exactly_n_days_after_the_failure(tenant_a, settings):
    settings.BILLING_GRACE_DAYS = 3
    failed = NOW - timedelta(days=1)
    mirror(tenant_a, "past_due", payment_failed_since=failed)

    assert entitlements_for(tenant=tenant_a, now=failed + timedelta(days=3, seconds=-1)).may_write
    assert not entitlements_for(tenant=tenant_a, now=failed + timedelta(days=3)).may_write
    assert entitlements_for(tenant=tenant_a, now=failed + timedelta(days=3)).may_read


def test_a_store_that_never_subscribed_has_the_trial_then_read_only(tenant_a):
    entitlement_forget(tenant_a.pk)
    created = tenant_a.created_at

    assert entitlements_for(tenant=tenant_a, now=created + timedelta(days=13)).access == Access.FULL
    late = entitlements_for(tenant=tenant_a, now=created + timedelta(days=15))
    assert late.access == Access.READ_ONLY
    assert "trial has ended" in late.reason


def test_a_suspended_store_is_blocked_whatever_it_pays(tenant_a):
    mirror(tenant_a, "active")
    tenant_a.status = "suspended"

    assert entitlements_for(tenant=tenant_a).access == Access.BLOCKED


def test_a_blocked_store_is_sent_to_the_billing_page(tenant_a):
    mirror(tenant_a, "canceled")
    client = store_client(tenant_a, login=True)

    home = client.get("/")
    billing = client.get("/billing/")

    assert (home.status_code, home["Location"]) == (302, "/billing/")
    assert billing.status_code == 200
    assert "Your subscription has ended" in billing.text


def test_a_read_only_store_reads_but_cannot_write(tenant_a):
    mirror(
        tenant_a,
        "unpaid",
        latest_invoice_status="open",
        latest_invoice_url="https://pay.example/in_1",
    )
    client = store_client(tenant_a, login=True)

    page = client.get("/")
    write = client.post("/settings/mercado-livre/connect")
    api_write = client.post("/api/v1/team/", {"email": "x@a.test"}, content_type="application/json")

    assert page.status_code == 200
    assert 'id="billing-banner"' in page.text
    assert "https://pay.example/in_1" in page.text
    assert (write.status_code, write["Location"]) == (302, "/billing/")
    assert api_write.status_code == 402
    assert api_write.json()["error"]["code"] == "subscription_read_only"
    assert api_write.json()["error"]["details"]["upgrade_url"].endswith("/billing/")


def test_a_paying_store_has_no_banner(tenant_a):
    mirror(tenant_a, "active")
    page = store_client(tenant_a, login=True).get("/")

    assert page.status_code == 200
    assert 'id="billing-banner"' not in page.text


def test_one_stores_status_never_leaks_to_another(tenant_a, tenant_b):
    mirror(tenant_a, "canceled")
    entitlement_forget(tenant_b.pk)

    assert entitlements_for(tenant=tenant_a).access == Access.BLOCKED
    assert entitlements_for(tenant=tenant_b).access == Access.FULL
    assert store_client(tenant_b, login=True).get("/").status_code == 200


def test_a_first_payment_pending_keeps_the_signup_trial(tenant_a):
    mirror(tenant_a, "incomplete", trial_end=None)
    created = tenant_a.created_at

    assert entitlements_for(tenant=tenant_a, now=created + timedelta(days=5)).access == Access.FULL
    late = entitlements_for(tenant=tenant_a, now=created + timedelta(days=20))
    assert late.access == Access.READ_ONLY
    assert "first payment" in late.reason
