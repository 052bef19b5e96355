"""Billing set-ups the tests share: subscribing a store through Checkout, reading the mirror."""

from __future__ import annotations

from billing.checkout import checkout_start
from billing.models import CheckoutAttempt, Plan, SubscriptionMirror
from tenants.models import Tenant
from tests.billing.support import Stripe

STORE_URL = "http://tenant-a.localhost:8000"


def subscribe(
    stripe: Stripe, tenant: Tenant, plan_code: str = "starter", payment_method: str = "card"
) -> SubscriptionMirror:
    """Checkout for ``plan_code`` completed with ``payment_method``; events delivered."""
    plan = Plan.objects.get(code=plan_code)
    started = checkout_start(
        tenant=tenant, plan=plan, started_by="owner@a.test", base_url=STORE_URL
    )
    attempt = CheckoutAttempt.objects.get(tenant=tenant, url=started.url)
    stripe.admin(
        f"checkout/{attempt.stripe_session_id}/complete", {"payment_method": payment_method}
    )
    stripe.deliver_new()
    return SubscriptionMirror.objects.get(tenant=tenant)


def mirror_of(tenant: Tenant) -> SubscriptionMirror:
    return SubscriptionMirror.objects.select_related("plan").get(tenant=tenant)
