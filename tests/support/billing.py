"""A store's subscription mirror set directly, for tests of what a status allows."""

from __future__ import annotations

from django.utils import timezone

from billing.models import Plan, SubscriptionMirror
from billing.sync import entitlement_forget
from tenants.models import Tenant


def subscription_set(tenant: Tenant, status: str, *, plan_code: str | None = None) -> None:
    """``tenant``'s subscription in ``status`` on ``plan_code`` (default: its own plan)."""
    SubscriptionMirror.objects.update_or_create(
        tenant=tenant,
        defaults={
            "stripe_customer_id": "cus_x",
            "stripe_subscription_id": "sub_x",
            "status": status,
            "plan": Plan.objects.get(code=plan_code or tenant.plan_code),
            "synced_at": timezone.now(),
        },
    )
    entitlement_forget(tenant.pk)
