"""The subscription section of ``tenant_status``."""

from __future__ import annotations

from typing import Any

from billing.entitlements import entitlements_for
from billing.models import SubscriptionMirror
from tenants.models import Tenant
from tenants.status import status_section


@status_section("subscription")
def _subscription(tenant: Tenant) -> dict[str, Any]:
    mirror = SubscriptionMirror.objects.select_related("plan").filter(tenant=tenant).first()
    entitlement = entitlements_for(tenant=tenant)
    body: dict[str, Any] = {
        "access": str(entitlement.access),
        "reason": entitlement.reason,
        "until": entitlement.until.isoformat() if entitlement.until else None,
        "status": mirror.status if mirror else "none",
    }
    if mirror is not None:
        body.update(
            stripe_customer_id=mirror.stripe_customer_id,
            stripe_subscription_id=mirror.stripe_subscription_id,
            plan=mirror.plan.code if mirror.plan else None,
            current_period_end=mirror.current_period_end.isoformat()
            if mirror.current_period_end
            else None,
            cancel_at_period_end=mirror.cancel_at_period_end,
            latest_invoice_status=mirror.latest_invoice_status,
            synced_at=mirror.synced_at.isoformat(),
        )
    return body
