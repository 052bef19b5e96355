"""Retention of Mercado Livre data, registered with compliance (``compliance.retention``): buyer
data on orders, buyers' questions, and the ML webhook inbox."""

from __future__ import annotations

from django.db.models import Q
from django.db.models.functions import Coalesce

from compliance.dsr.scrub import ERASED
from compliance.registry import Erasure
from compliance.retention.enforcement import (
    Enforcement,
    declaration_for,
    enforcer,
    row_batches,
    rows_delete,
    rows_delete_per_store,
)
from compliance.retention.errors import CategoryNotEnforceable
from compliance.retention.models import RetentionCategory
from integrations.mercadolivre.models import MLOrder, MLQuestion
from integrations.models import MLNotification, NotificationStatus

# Inbox rows that are finished with; pending, processing, failed and dead rows stay.
ML_INBOX_DONE = (
    NotificationStatus.PROCESSED,
    NotificationStatus.IGNORED,
    NotificationStatus.ORPHANED,
)


@enforcer(RetentionCategory.ORDER_BUYER_DATA, where="store")
def order_buyer_data(enforcement: Enforcement) -> int:
    """Anonymize the buyer on orders closed more than the period ago; the order stays.

    The anonymization is the registry's own (``integrations/personal_data.py``), the same one a
    buyer's erasure request applies. An order with no ``date_closed`` (cancelled before
    closing) counts from its last update.
    """
    declared = declaration_for(MLOrder._meta.label)
    if declared.erasure != Erasure.ANONYMIZE or declared.anonymize is None:
        raise CategoryNotEnforceable("the registry no longer anonymizes orders")
    anonymize = declared.anonymize
    still_identified = (
        Q(buyer_id__isnull=False)
        | ~Q(buyer_nickname="")
        | (Q(raw__has_key="buyer") & ~Q(raw__buyer=None) & ~Q(raw__buyer=ERASED))
    )
    rows = (
        MLOrder.objects.alias(closed_at=Coalesce("date_closed", "last_updated"))
        .filter(closed_at__lt=enforcement.cutoff)
        .filter(still_identified)
    )
    if enforcement.dry_run:
        return rows.count()
    total = 0
    for batch in row_batches(rows):
        for order in batch:
            MLOrder.objects.filter(pk=order.pk).update(**anonymize(order))
        total += len(batch)
    return total


@enforcer(RetentionCategory.BUYER_QUESTIONS, where="store")
def buyer_questions(enforcement: Enforcement) -> int:
    """Questions asked more than the period ago, treated as the registry says (deleted)."""
    declared = declaration_for(MLQuestion._meta.label)
    rows = MLQuestion.objects.filter(date_created__lt=enforcement.cutoff)
    if declared.erasure == Erasure.DELETE:
        return rows_delete(rows, dry_run=enforcement.dry_run)
    raise CategoryNotEnforceable(f"questions are declared {declared.erasure}, not deleted")


@enforcer(RetentionCategory.ML_WEBHOOK_INBOX, where="public")
def ml_webhook_inbox(enforcement: Enforcement) -> dict[str, int]:
    """Processed, ignored and orphaned ML notifications older than the period."""
    rows = MLNotification.objects.filter(
        status__in=ML_INBOX_DONE, arrived_at__lt=enforcement.cutoff
    )
    return rows_delete_per_store(rows, dry_run=enforcement.dry_run)
