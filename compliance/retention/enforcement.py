"""How retention categories are enforced: the registry apps add their enforcers to, and the
batching every enforcer shares.

Each ``RetentionCategory`` is enforced by one function that the app owning the data registers
with ``@enforcer`` in its ``retention`` module (``billing/retention.py``…), loaded at start-up;
compliance's own categories are in ``categories.py``. Store categories run inside the store's
schema (the caller sets ``tenant_context``); public ones in the public schema and report per
store where the rows say whose they are. Every enforcer works in batches of
``RETENTION_BATCH_SIZE``, each batch its own transaction, walking forward by primary key so a
batch that changes nothing can never be picked again; and every one selects only what is still
past its period and still holds the data, so a second run finds nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

from django.db import transaction
from django.db.models import QuerySet

from compliance.registry import PersonalData, declarations
from compliance.retention.errors import CategoryNotEnforceable
from compliance.retention.models import RetentionCategory, RetentionPolicy

RETENTION_BATCH_SIZE = 500
PUBLIC = "public"


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


# A store category's enforcer returns the rows it removed in the current store; a public
# category's returns them per store schema (or ``PUBLIC``).
StoreEnforce = Callable[[Enforcement], int]
PublicEnforce = Callable[[Enforcement], dict[str, int]]
Where = Literal["store", "public"]


@dataclass(frozen=True)
class Enforcer:
    category: RetentionCategory
    where: Where
    enforce: Callable[[Enforcement], Any]


_ENFORCERS: dict[str, Enforcer] = {}


def enforcer(
    category: RetentionCategory | str, *, where: Where
) -> Callable[[Callable[[Enforcement], Any]], Callable[[Enforcement], Any]]:
    """Register the decorated function as the one that enforces ``category``."""
    known = RetentionCategory(category)  # ValueError for a category the policies do not know

    def register(func: Callable[[Enforcement], Any]) -> Callable[[Enforcement], Any]:
        found = _ENFORCERS.get(known)
        origin = f"{func.__module__}.{func.__qualname__}"
        if found is not None:
            registered = f"{found.enforce.__module__}.{found.enforce.__qualname__}"
            if registered != origin:
                raise ValueError(f"{known} is already enforced by {registered}")
        _ENFORCERS[known] = Enforcer(known, where, func)
        return func

    return register


def enforcers() -> dict[str, Enforcer]:
    """Every registered enforcer, by category."""
    return dict(_ENFORCERS)


def row_batches(rows: QuerySet[Any]) -> Iterator[list[Any]]:
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


def rows_delete(rows: QuerySet[Any], *, dry_run: bool) -> int:
    """Delete ``rows`` in batches (or, dry, count them); how many went."""
    if dry_run:
        return rows.count()
    total = 0
    for batch in row_batches(rows):
        # Re-applying the filter: a row that changed status since it was read stays.
        _, per_model = rows.filter(pk__in=[row.pk for row in batch]).delete()
        total += per_model.get(rows.model._meta.label, 0)
    return total


def rows_delete_per_store(rows: QuerySet[Any], *, dry_run: bool) -> dict[str, int]:
    """Delete public rows that carry a ``tenant``; counted per store (or ``PUBLIC``)."""
    counts: dict[str, int] = {}
    stores = list(rows.values_list("tenant__schema_name", flat=True).distinct())
    for schema in stores:
        scoped = (
            rows.filter(tenant__isnull=True)
            if schema is None
            else rows.filter(tenant__schema_name=schema)
        )
        removed = rows_delete(scoped, dry_run=dry_run)
        if removed:
            counts[schema or PUBLIC] = removed
    return counts


def declaration_for(label: str) -> PersonalData:
    """The personal-data registry's declaration of the model ``label``."""
    for declared in declarations():
        if declared.label == label:
            return declared
    raise CategoryNotEnforceable(f"{label} is not in the personal-data registry")
