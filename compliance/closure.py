"""What closing a store does beyond compliance's own data: the registry features add to.

A store's offboarding (``compliance.retention.offboarding``) hands its owner a final export,
erases every store user through the personal-data registry, then drops the schema. What lives
outside our database or belongs to a feature is the feature's to undo, so each feature registers
here, in a ``closure`` module loaded at start-up (as it registers its personal data):

- ``@store_records(name)``: rows of the store's own records that go into the final export
  besides the owner's personal data (the fiscal order records), read inside the store's schema;
- ``@closure_step(name)``: work done once the final export exists and before the schema goes
  (revoke the Mercado Livre token, redact the Stripe customer); it must be safe to run again,
  because an offboarding that stops halfway runs every step again when it resumes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from tenants.models import Tenant

# (tenant, by) -> what was done, for the audit trail; runs in the public schema.
ClosureStep = Callable[[Tenant, str], Mapping[str, Any]]
# (tenant) -> rows (JSON-able mappings), read inside the store's schema.
StoreRecords = Callable[[Tenant], Iterable[Mapping[str, Any]]]

_STEPS: dict[str, ClosureStep] = {}
_RECORDS: dict[str, StoreRecords] = {}


def closure_step(name: str) -> Callable[[ClosureStep], ClosureStep]:
    """Register ``func`` to run when a store is offboarded, before its schema is dropped."""

    def register(func: ClosureStep) -> ClosureStep:
        _STEPS[name] = func
        return func

    return register


def store_records(name: str) -> Callable[[StoreRecords], StoreRecords]:
    """Register ``func``'s rows as ``records/<name>.json`` in a store's final export."""

    def register(func: StoreRecords) -> StoreRecords:
        _RECORDS[name] = func
        return func

    return register


def closure_steps() -> dict[str, ClosureStep]:
    return dict(sorted(_STEPS.items()))


def store_record_sets() -> dict[str, StoreRecords]:
    return dict(sorted(_RECORDS.items()))
