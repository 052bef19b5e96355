"""Retention of billing data, registered with compliance (``compliance.retention``): the
Stripe webhook inbox."""

from __future__ import annotations

from billing.models import EventStatus, StripeEvent
from compliance.retention.enforcement import Enforcement, enforcer, rows_delete_per_store
from compliance.retention.models import RetentionCategory

# Inbox rows that are finished with; pending, processing, failed and dead rows stay.
STRIPE_INBOX_DONE = (EventStatus.PROCESSED, EventStatus.IGNORED, EventStatus.ORPHANED)


@enforcer(RetentionCategory.STRIPE_WEBHOOK_INBOX, where="public")
def stripe_webhook_inbox(enforcement: Enforcement) -> dict[str, int]:
    """Processed, ignored and orphaned Stripe events older than the period (never dead ones)."""
    rows = StripeEvent.objects.filter(
        status__in=STRIPE_INBOX_DONE, received_at__lt=enforcement.cutoff
    )
    return rows_delete_per_store(rows, dry_run=enforcement.dry_run)
