"""Enforcing compliance's own retention categories: the audit log, export files, and closed
stores. Every other category is enforced by the app whose data it is (``enforcement``)."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django_tenants.utils import get_public_schema_name

from compliance.audit import services as audit_services
from compliance.audit.models import AuditEvent
from compliance.models import DataSubjectRequest
from compliance.retention.enforcement import PUBLIC, RETENTION_BATCH_SIZE, Enforcement, enforcer
from compliance.retention.errors import CategoryNotEnforceable
from compliance.retention.models import RetentionCategory, StoreOffboarding
from compliance.retention.offboarding import store_offboard
from tenants.models import Tenant, TenantStatus

logger = logging.getLogger(__name__)

EXPORT_DIRS = ("exports", "offboarding")


@enforcer(RetentionCategory.AUDIT_ACCESS_LOG, where="public")
def audit_access_log(enforcement: Enforcement) -> dict[str, int]:
    """Audit events older than the period, through the audit app's own purge (the table's
    trigger refuses any other DELETE). Skipped, saying so, where that purge does not exist."""

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


@enforcer(RetentionCategory.SUBJECT_EXPORTS, where="public")
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


@enforcer(RetentionCategory.CLOSED_STORES, where="public")
def closed_stores(enforcement: Enforcement) -> dict[str, int]:
    """Offboard every store closed for longer than the period: final export, then drop."""

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
