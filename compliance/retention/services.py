"""Enforcing the retention policies: ``retention_run`` and its resumable parts.

A run is one ``RetentionRun`` row: the public categories first (inboxes, audit log, export
files, closed stores), then every store that still has a schema, in ``STORES_PER_STEP`` slices
(the Celery task runs one slice and sends the next). Periods count back from the run's
``as_of``, so every slice of a run uses the same clock. An error in one category or store is
recorded in the report and the rest goes on.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from django_tenants.utils import get_public_schema_name, schema_exists, tenant_context

from compliance.retention.enforcement import Enforcement, enforcers
from compliance.retention.errors import CategoryNotEnforceable, RetentionError
from compliance.retention.models import (
    RetentionCategory,
    RetentionPolicy,
    RetentionRun,
    RunStatus,
)
from tenants.context import use_public_schema
from tenants.models import Tenant

logger = logging.getLogger(__name__)

STORES_PER_STEP = 200


@dataclass(frozen=True)
class RetentionReport:
    """What a run removed (or, dry, would remove), per category and store."""

    run_id: int
    as_of: datetime
    dry_run: bool
    status: str
    counts: dict[str, dict[str, int]]
    outcomes: dict[str, str]
    errors: list[str]

    @classmethod
    def of(cls, run: RetentionRun) -> RetentionReport:
        return cls(
            run_id=run.pk,
            as_of=run.as_of,
            dry_run=run.dry_run,
            status=run.status,
            counts=run.counts,
            outcomes=run.outcomes,
            errors=run.errors,
        )

    def total(self, category: str | None = None) -> int:
        return sum(
            count
            for name, per_store in self.counts.items()
            if category is None or name == category
            for count in per_store.values()
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "run": self.run_id,
            "as_of": self.as_of.isoformat(),
            "dry_run": self.dry_run,
            "status": self.status,
            "removed": self.total(),
            "counts": self.counts,
            "outcomes": self.outcomes,
            "errors": self.errors,
        }


def _categories(only: Iterable[str] | None) -> list[str]:
    known = [str(c) for c in RetentionCategory]
    if only is None:
        return known
    chosen = list(dict.fromkeys(only))
    unknown = [c for c in chosen if c not in known]
    if unknown:
        raise RetentionError(f"Unknown categories {unknown}; known: {known}.")
    return chosen


def retention_run_start(
    *,
    now: datetime | None = None,
    dry_run: bool = False,
    categories: Iterable[str] | None = None,
    origin: str = "system",
) -> RetentionRun:
    use_public_schema()
    chosen = _categories(categories)
    policies = {p.category: p for p in RetentionPolicy.objects.filter(category__in=chosen)}
    outcomes = {}
    for category in chosen:
        policy = policies.get(category)
        if policy is None:
            outcomes[category] = "skipped: no policy"
        elif not policy.active:
            outcomes[category] = "inactive"
        elif category not in enforcers():
            outcomes[category] = "skipped: no app enforces it"
        else:
            outcomes[category] = f"enforced: keep {policy.keep_days} days"
    return RetentionRun.objects.create(
        as_of=now or timezone.now(),
        dry_run=dry_run,
        origin=origin[:254],
        categories=chosen,
        outcomes=outcomes,
    )


def _active(run: RetentionRun, where: str) -> list[RetentionPolicy]:
    return [
        policy
        for policy in RetentionPolicy.objects.filter(category__in=run.categories, active=True)
        if (found := enforcers().get(policy.category)) is not None and found.where == where
    ]


def _enforcement(run: RetentionRun, policy: RetentionPolicy) -> Enforcement:
    return Enforcement(policy=policy, now=run.as_of, dry_run=run.dry_run, actor=run.origin)


def _add(run: RetentionRun, category: str, counts: dict[str, int]) -> None:
    per_store = run.counts.setdefault(category, {})
    for store, count in counts.items():
        if count:
            per_store[store] = per_store.get(store, 0) + count


def retention_run_public(*, run: RetentionRun) -> None:
    """The categories that live in the public schema (including closed stores' offboarding)."""
    for policy in _active(run, "public"):
        enforcement = _enforcement(run, policy)
        try:
            _add(run, policy.category, enforcers()[policy.category].enforce(enforcement))
        except CategoryNotEnforceable as exc:
            run.outcomes[policy.category] = f"skipped: {exc.message}"
        except Exception as exc:
            logger.exception("retention %s failed", policy.category)
            run.errors.append(f"{policy.category}: {type(exc).__name__}: {exc}")
        finally:
            use_public_schema()
        run.errors += [f"{policy.category}: {error}" for error in enforcement.errors]
    run.save(update_fields=["counts", "outcomes", "errors"])


def stores_with_schema(*, after_pk: int = 0) -> QuerySet[Tenant]:
    """Every store whose schema has not been dropped, whatever its status (a suspended or a
    closed store's buyers are still owed their periods)."""
    return (
        Tenant.objects.exclude(schema_name=get_public_schema_name())
        .exclude(offboarding__schema_dropped_at__isnull=False)
        .filter(pk__gt=after_pk)
        .order_by("pk")
    )


def retention_store_run(*, run: RetentionRun, tenant: Tenant) -> None:
    """The store categories in one store's schema; its counts are added to ``run``."""
    for policy in _active(run, "store"):
        try:
            with tenant_context(tenant):
                removed = enforcers()[policy.category].enforce(_enforcement(run, policy))
            _add(run, policy.category, {tenant.schema_name: removed})
        except CategoryNotEnforceable as exc:
            run.outcomes[policy.category] = f"skipped: {exc.message}"
        except Exception as exc:
            logger.exception("retention %s failed in %s", policy.category, tenant.schema_name)
            run.errors.append(f"{policy.category} in {tenant.schema_name}: {exc}")
    use_public_schema()


def retention_run_stores(
    *, run: RetentionRun, after_pk: int = 0, limit: int | None = None
) -> int | None:
    """Stores after ``after_pk`` (at most ``limit``); the pk to continue after, or None."""
    if not _active(run, "store"):
        return None
    stores = stores_with_schema(after_pk=after_pk)
    batch = list(stores[:limit] if limit is not None else stores)
    for tenant in batch:
        if schema_exists(tenant.schema_name):
            retention_store_run(run=run, tenant=tenant)
    run.save(update_fields=["counts", "outcomes", "errors"])
    if limit is not None and len(batch) == limit:
        return int(batch[-1].pk)
    return None


def retention_run_finish(*, run: RetentionRun) -> RetentionReport:
    run.status = RunStatus.FAILED if run.errors else RunStatus.SUCCEEDED
    run.finished_at = timezone.now()
    run.save(update_fields=["status", "finished_at"])
    logger.info(
        "retention run %s %s: %s", run.pk, run.status, RetentionReport.of(run).as_dict()["removed"]
    )
    return RetentionReport.of(run)


def retention_run(
    *,
    now: datetime | None = None,
    dry_run: bool = False,
    categories: Iterable[str] | None = None,
    origin: str = "system",
) -> RetentionReport:
    """Enforce every active policy (or ``categories``) now, in one go; the run's report."""
    run = retention_run_start(now=now, dry_run=dry_run, categories=categories, origin=origin)
    retention_run_public(run=run)
    cursor: int | None = 0
    while cursor is not None:
        cursor = retention_run_stores(run=run, after_pk=cursor, limit=STORES_PER_STEP)
    return retention_run_finish(run=run)


def latest_successful_run() -> RetentionRun | None:
    """For the compliance checklist ("Data retention policies enforced")."""
    return (
        RetentionRun.objects.filter(dry_run=False, status=RunStatus.SUCCEEDED)
        .order_by("-started_at")
        .first()
    )
