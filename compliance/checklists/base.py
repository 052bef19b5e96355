"""What every checklist item shares: its outcome, its basis (a check of the live system, or a
manual attestation by a named person), the registry of items, and the run."""

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
CHECKS: list[tuple[str, str, Check]] = []
BASES: dict[str, Basis] = {}


def check(checklist: str, item: str, *, basis: Basis = Basis.CHECK) -> Callable[[Check], Check]:
    def register(func: Check) -> Check:
        CHECKS.append((checklist, item, func))
        BASES[item] = basis
        return func

    return register


def checklist_run(*, now: datetime | None = None) -> list[CheckResult]:
    now = now or timezone.now()
    results = []
    for checklist, item, func in CHECKS:
        try:
            outcome, evidence, details = func(now)
        except Exception as exc:
            outcome, evidence, details = Outcome.UNKNOWN, f"the check failed: {exc}", {}
        results.append(CheckResult(checklist, item, outcome, evidence, details, BASES[item]))
    return results


def _ok(condition: bool) -> Outcome:
    return Outcome.PASS if condition else Outcome.FAIL
