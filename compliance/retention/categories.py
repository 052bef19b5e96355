"""How each retention category is enforced: one function per ``RetentionCategory``.

Store categories run inside the store's schema (the caller sets ``tenant_context``); public ones
in the public schema and report per store where the rows say whose they are. Every function
works in batches of ``RETENTION_BATCH_SIZE``, each batch its own transaction, walking forward by
primary key so a batch that changes nothing can never be picked again; and every one selects
only what is still past its period and still holds the data, so a second run finds nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Literal

from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet
from django.db.models.functions import Coalesce
from django_tenants.utils import get_public_schema_name

from billing.models import EventStatus, StripeEvent
from compliance.audit.models import AuditEvent
from compliance.dsr.scrub import ERASED
from compliance.models import DataSubjectRequest
from compliance.registry import Erasure, PersonalData, declarations
from compliance.retention.errors import CategoryNotEnforceable
from compliance.retention.models import RetentionCategory, RetentionPolicy, StoreOffboarding
from integrations.mercadolivre.models import MLOrder, MLQuestion
from integrations.models import MLNotification, NotificationStatus
from tenants.models import Tenant, TenantStatus

logger = logging.getLogger(__name__)

RETENTION_BATCH_SIZE = 500
PUBLIC = "public"
# Inbox rows that are finished with; pending, processing, failed and dead rows stay.
ML_INBOX_DONE = (
    NotificationStatus.PROCESSED,
    NotificationStatus.IGNORED,
    NotificationStatus.ORPHANED,
)
STRIPE_INBOX_DONE = (EventStatus.PROCESSED, EventStatus.IGNORED, EventStatus.ORPHANED)
EXPORT_DIRS = ("exports", "offboarding")


@dataclass
class Enforcement:
    """One category's enforcement in one run: the policy, the clock, and where errors go."""

    policy: RetentionPolicy
    now: datetime
    dry_run: bool
    actor: str
    errors: list[str] = field(default_factory=list)

    @property
    def keep_days(self) -> int:
        return int(self.policy.keep_days)

    @property
    def cutoff(self) -> datetime:
        return self.now - timedelta(days=self.keep_days)


StoreEnforce = Callable[[Enforcement], int]
PublicEnforce = Callable[[Enforcement], dict[str, int]]


@dataclass(frozen=True)
class Enforcer:
    category: RetentionCategory
    where: Literal["store", "public"]
    enforce: Callable[[Enforcement], Any]


def _batches(rows: QuerySet[Any]) -> Iterator[list[Any]]:
    """Locked batches of ``rows`` in primary-key order, each inside its own transaction."""
    last: Any = None
    while True:
        with transaction.atomic():
            page = rows if last is None else rows.filter(pk__gt=last)
            batch = list(
                page.order_by("pk").select_for_update(skip_locked=True)[:RETENTION_BATCH_SIZE]
            )
            if not batch:
                return
            yield batch
        last = batch[-1].pk
        if len(batch) < RETENTION_BATCH_SIZE:
            return


def _delete(rows: QuerySet[Any], *, dry_run: bool) -> int:
    if dry_run:
        return rows.count()
    total = 0
    for batch in _batches(rows):
        # Re-applying the filter: a row that changed status since it was read stays.
        _, per_model = rows.filter(pk__in=[row.pk for row in batch]).delete()
        total += per_model.get(rows.model._meta.label, 0)
    return total


def _declaration(label: str) -> PersonalData:
    for declared in declarations():
        if declared.label == label:
            return declared
    raise CategoryNotEnforceable(f"{label} is not in the personal-data registry")


def order_buyer_data(enforcement: Enforcement) -> int:
    """Anonymize the buyer on orders closed more than the period ago; the order stays.

    The anonymization is the registry's own (``integrations/personal_data.py``), the same one a
    buyer's erasure request applies. An order with no ``date_closed`` (cancelled before
    closing) counts from its last update.
    """
    declared = _declaration(MLOrder._meta.label)
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
    for batch in _batches(rows):
        for order in batch:
            MLOrder.objects.filter(pk=order.pk).update(**anonymize(order))
        total += len(batch)
    return total


def buyer_questions(enforcement: Enforcement) -> int:
    """Questions asked more than the period ago, treated as the registry says (deleted)."""
    declared = _declaration(MLQuestion._meta.label)
    rows = MLQuestion.objects.filter(date_created__lt=enforcement.cutoff)
    if declared.erasure == Erasure.DELETE:
        return _delete(rows, dry_run=enforcement.dry_run)
    raise CategoryNotEnforceable(f"questions are declared {declared.erasure}, not deleted")


def _per_store(rows: QuerySet[Any], *, dry_run: bool) -> dict[str, int]:
    """Delete public rows that carry a ``tenant``; counted per store (or ``public``)."""
    counts: dict[str, int] = {}
    stores = list(rows.values_list("tenant__schema_name", flat=True).distinct())
    for schema in stores:
        scoped = (
            rows.filter(tenant__isnull=True)
            if schema is None
            else rows.filter(tenant__schema_name=schema)
        )
        removed = _delete(scoped, dry_run=dry_run)
        if removed:
            counts[schema or PUBLIC] = removed
    return counts


def ml_webhook_inbox(enforcement: Enforcement) -> dict[str, int]:
    """Processed, ignored and orphaned ML notifications older than the period."""
    rows = MLNotification.objects.filter(
        status__in=ML_INBOX_DONE, arrived_at__lt=enforcement.cutoff
    )
    return _per_store(rows, dry_run=enforcement.dry_run)


def stripe_webhook_inbox(enforcement: Enforcement) -> dict[str, int]:
    """Processed, ignored and orphaned Stripe events older than the period (never dead ones)."""
    rows = StripeEvent.objects.filter(
        status__in=STRIPE_INBOX_DONE, received_at__lt=enforcement.cutoff
    )
    return _per_store(rows, dry_run=enforcement.dry_run)


def audit_access_log(enforcement: Enforcement) -> dict[str, int]:
    """Audit events older than the period, through the audit app's own purge (the table's
    trigger refuses any other DELETE). Skipped, saying so, where that purge does not exist."""
    from compliance.audit import services as audit_services

    purge = getattr(audit_services, "audit_events_purge", None)
    actor_type = getattr(audit_services, "Actor", None)
    if purge is None or actor_type is None:
        raise CategoryNotEnforceable(
            "not enforceable yet: audit log is append-only (compliance.audit has no purge)"
        )
    old = AuditEvent.objects.filter(occurred_at__lt=enforcement.cutoff)
    if enforcement.dry_run:
        count = old.count()
    elif not old.exists():
        count = 0  # no purge, so no AUDIT_PURGE event, on days with nothing to remove
    else:
        count = int(purge(before=enforcement.cutoff, actor=actor_type.system(enforcement.actor)))
    return {PUBLIC: count} if count else {}


def _expired_exports(root: Path, cutoff: datetime) -> list[Path]:
    limit = cutoff.timestamp()
    found: list[Path] = []
    for folder in EXPORT_DIRS:
        base = root / folder
        if base.is_dir():
            found += [p for p in sorted(base.rglob("*.zip")) if p.stat().st_mtime < limit]
    return found


def subject_exports(enforcement: Enforcement) -> dict[str, int]:
    """Export zips (``exports/`` and ``offboarding/``) older than the period, whose links have
    expired: the file goes and the request's ``export_path`` is blanked.

    Never shorter than ``COMPLIANCE_EXPORT_LINK_DAYS``: a link still valid keeps its file.
    """
    keep = max(enforcement.keep_days, int(settings.COMPLIANCE_EXPORT_LINK_DAYS))
    root = Path(settings.MEDIA_ROOT)
    files = _expired_exports(root, enforcement.now - timedelta(days=keep))
    counts: dict[str, int] = {}
    for start in range(0, len(files), RETENTION_BATCH_SIZE):
        batch = files[start : start + RETENTION_BATCH_SIZE]
        if not enforcement.dry_run:
            relative = [str(path.relative_to(root)) for path in batch]
            with transaction.atomic():
                DataSubjectRequest.objects.filter(export_path__in=relative).update(export_path="")
                StoreOffboarding.objects.filter(export_path__in=relative).update(export_path="")
                for path in batch:
                    path.unlink(missing_ok=True)
        for path in batch:
            parts = path.relative_to(root).parts  # ("exports", "<store>", "<file>.zip")
            store = parts[1] if len(parts) > 2 else PUBLIC
            counts[store] = counts.get(store, 0) + 1
    return counts


def closed_stores_due(cutoff: datetime) -> QuerySet[Tenant]:
    """Closed stores closed before ``cutoff`` whose schema is still there.

    ``Tenant.updated_at`` is the closing time: ``tenant_set_status`` sets it, and nothing else
    writes a closed store's row through ``save()``.
    """
    return (
        Tenant.objects.filter(status=TenantStatus.CLOSED, updated_at__lt=cutoff)
        .exclude(schema_name=get_public_schema_name())
        .exclude(offboarding__schema_dropped_at__isnull=False)
        .order_by("pk")
    )


def closed_stores(enforcement: Enforcement) -> dict[str, int]:
    """Offboard every store closed for longer than the period: final export, then drop."""
    from compliance.retention.offboarding import store_offboard

    counts: dict[str, int] = {}
    for tenant in closed_stores_due(enforcement.cutoff):
        if enforcement.dry_run:
            counts[tenant.schema_name] = 1
            continue
        try:
            store_offboard(tenant=tenant, by=enforcement.actor)
        except Exception as exc:
            logger.exception("offboarding %s failed", tenant.schema_name)
            enforcement.errors.append(f"{tenant.schema_name}: {type(exc).__name__}: {exc}")
            continue
        counts[tenant.schema_name] = 1
    return counts


ENFORCERS: dict[str, Enforcer] = {
    enforcer.category: enforcer
    for enforcer in (
        Enforcer(RetentionCategory.ML_WEBHOOK_INBOX, "public", ml_webhook_inbox),
        Enforcer(RetentionCategory.STRIPE_WEBHOOK_INBOX, "public", stripe_webhook_inbox),
        Enforcer(RetentionCategory.AUDIT_ACCESS_LOG, "public", audit_access_log),
        Enforcer(RetentionCategory.SUBJECT_EXPORTS, "public", subject_exports),
        Enforcer(RetentionCategory.CLOSED_STORES, "public", closed_stores),
        Enforcer(RetentionCategory.ORDER_BUYER_DATA, "store", order_buyer_data),
        Enforcer(RetentionCategory.BUYER_QUESTIONS, "store", buyer_questions),
    )
}
