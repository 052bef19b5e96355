"""What every checklist item shares: its outcome, its basis (a check of the live system, or a
manual attestation by a named person), the registry apps declare their items in, and the run.

A checklist is declared once with its place in the report (``checklist``); each item names its
checklist and its place within it (``check``), so the report reads in the same order whatever
order the apps' ``checklists`` modules load in.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from django.utils import timezone


class Outcome(enum.StrEnum):
    PASS = "pass"  # noqa: S105 - an outcome, not a password
    FAIL = "fail"
    UNKNOWN = "unknown"

    @classmethod
    def of(cls, condition: bool) -> Outcome:
        """Pass when ``condition`` holds, fail otherwise."""
        return cls.PASS if condition else cls.FAIL


class Basis(enum.StrEnum):
    CHECK = "check"  # looks at the live system
    # The live system, and what a person attested (ChecklistAttestation): both must hold.
    CHECK_AND_ATTESTATION = "check and attestation"


@dataclass(frozen=True)
class CheckResult:
    checklist: str
    item: str
    outcome: Outcome
    evidence: str
    details: dict[str, Any] = field(default_factory=dict)
    basis: Basis = Basis.CHECK

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "outcome": str(self.outcome), "basis": str(self.basis)}


Check = Callable[[datetime], tuple[Outcome, str, dict[str, Any]]]


@dataclass(frozen=True)
class ChecklistItem:
    """One registered item: its checklist, its name (what attestations refer to), its place
    within the checklist, its basis and the function that checks it."""

    checklist: str
    item: str
    position: int
    basis: Basis
    func: Check


_CHECKLISTS: dict[str, int] = {}  # title: place in the report
_ITEMS: dict[str, ChecklistItem] = {}  # item: its registration


def checklist(title: str, *, position: int) -> str:
    """Declare the checklist ``title`` and its place in the report (lowest first)."""
    known = _CHECKLISTS.get(title)
    if known is not None and known != position:
        raise ValueError(f"checklist {title!r} is declared at {known}, not {position}")
    taken = [other for other, place in _CHECKLISTS.items() if place == position and other != title]
    if taken:
        raise ValueError(f"checklist {title!r}: position {position} is {taken[0]!r}'s")
    _CHECKLISTS[title] = position
    return title


def _origin(func: Check) -> str:
    return f"{func.__module__}.{func.__qualname__}"


def check(
    checklist: str, item: str, *, position: int, basis: Basis = Basis.CHECK
) -> Callable[[Check], Check]:
    """Register the decorated function as ``item`` of ``checklist``, at ``position`` in it."""

    def register(func: Check) -> Check:
        known = _ITEMS.get(item)
        if known is not None and _origin(known.func) != _origin(func):
            raise ValueError(f"item {item!r} is already checked by {_origin(known.func)}")
        taken = [
            other.item
            for other in _ITEMS.values()
            if (other.checklist, other.position) == (checklist, position) and other.item != item
        ]
        if taken:
            raise ValueError(f"{checklist!r} position {position} is {taken[0]!r}'s")
        _ITEMS[item] = ChecklistItem(checklist, item, position, basis, func)
        return func

    return register


def checks() -> list[ChecklistItem]:
    """Every registered item in report order: by its checklist's place, then its own."""
    undeclared = sorted({i.checklist for i in _ITEMS.values()} - set(_CHECKLISTS))
    if undeclared:
        raise ValueError(f"items name checklists never declared: {undeclared}")
    return sorted(_ITEMS.values(), key=lambda i: (_CHECKLISTS[i.checklist], i.position))


def checklist_run(*, now: datetime | None = None) -> list[CheckResult]:
    now = now or timezone.now()
    results = []
    for registered in checks():
        try:
            outcome, evidence, details = registered.func(now)
        except Exception as exc:
            outcome, evidence, details = Outcome.UNKNOWN, f"the check failed: {exc}", {}
        results.append(
            CheckResult(
                registered.checklist, registered.item, outcome, evidence, details, registered.basis
            )
        )
    return results
