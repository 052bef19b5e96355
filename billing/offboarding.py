"""When a store closes or is deleted, nothing may keep billing it.

Live subscriptions are canceled at once (no proration credit, no final invoice) and open
Checkout Sessions expired. The ``BillingCustomer`` row outlives a deleted store, so late events
still find the customer and are recorded as orphaned instead of failing.
"""

from __future__ import annotations

import logging

from django.db.models import Q

from billing.checkout import checkout_sessions_expire
from billing.models import LIVE_STATUSES, BillingCustomer
from billing.stripe_api import JSON, idempotency, stripe_call
from tenants.models import TenantStatus

logger = logging.getLogger(__name__)


def _cancel(subscription_id: str, reason: str) -> JSON:
    return stripe_call(
        lambda c: c.v1.subscriptions.cancel(
            subscription_id,
            params={"cancellation_details": {"comment": reason[:500]}},
            options=idempotency("cancel", subscription_id),  # type: ignore[arg-type]
        ),
        what="subscription cancel",
    )


def subscriptions_cancel(*, stripe_customer_id: str, reason: str) -> int:
    """Cancel every live subscription of the customer now; how many were canceled."""
    listed = stripe_call(
        lambda c: c.v1.subscriptions.list(
            params={"customer": stripe_customer_id, "status": "all", "limit": 100}
        ),
        what="subscription list",
    )
    canceled = 0
    for sub in listed.get("data") or []:
        if sub.get("status") not in LIVE_STATUSES:
            continue
        sub_id = str(sub["id"])
        _cancel(sub_id, reason)
        canceled += 1
        logger.warning("canceled subscription %s of %s: %s", sub_id, stripe_customer_id, reason)
    return canceled


def customer_offboard(*, stripe_customer_id: str, session_ids: list[str], reason: str) -> int:
    """Cancel the live subscriptions, then expire the open Checkout Sessions."""
    canceled = subscriptions_cancel(stripe_customer_id=stripe_customer_id, reason=reason)
    checkout_sessions_expire(session_ids=session_ids)
    return canceled


def offboarded_reconcile() -> int:
    """Cancel what still bills a deleted or closed store (the nightly safety net behind the
    task sent when it closed, which a broker outage or a long Stripe outage could lose)."""
    gone = BillingCustomer.objects.filter(
        Q(tenant__isnull=True) | Q(tenant__status=TenantStatus.CLOSED)
    )
    canceled = 0
    for customer in gone.iterator():
        reason = "store deleted" if customer.tenant_id is None else "store closed"
        canceled += subscriptions_cancel(
            stripe_customer_id=customer.stripe_customer_id, reason=reason
        )
    return canceled
