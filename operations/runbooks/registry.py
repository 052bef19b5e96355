"""The runbooks as code: their names (the values alert rules put in ``Incident.runbook``),
actions, options and result type. The catalog (``catalog.py``) binds each name to its steps."""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

WEBHOOK_OUTAGE = "webhook-outage"
OAUTH_REFRESH_FAILURES = "oauth-refresh-failures"
RATE_LIMIT_EXCEEDED = "rate-limit-exceeded"
ML_API_DOWN = "ml-api-down"
RUNBOOK_NAMES = (WEBHOOK_OUTAGE, OAUTH_REFRESH_FAILURES, RATE_LIMIT_EXCEEDED, ML_API_DOWN)

DIAGNOSE = "diagnose"
MITIGATE = "mitigate"
VALIDATE = "validate"
ACTIONS = (DIAGNOSE, MITIGATE, VALIDATE)


class Outcome(enum.StrEnum):
    OK = "ok"
    FAILED = "failed"
    UNKNOWN = "unknown"  # no data to judge by: never reported as ok

    @property
    def exit_code(self) -> int:
        return {Outcome.OK: 0, Outcome.FAILED: 1, Outcome.UNKNOWN: 2}[self]


@dataclass(frozen=True)
class Options:
    """What a step may be told on the command line; each step reads the ones it needs."""

    minutes: int = 60  # diagnosis window, or how long a mitigation lasts
    last: int = 100  # oauth validate: the last N refreshes
    url: str = ""  # webhook validate: the endpoint to time
    off: bool = False  # webhook mitigate: leave ack-only mode and drain
    undo: bool = False  # rate-limit / ml-api-down mitigate: resume consumers (and the limiter)
    factor: float = 0.5  # rate-limit mitigate: the budget multiplier while tightened


@dataclass(frozen=True)
class Result:
    outcome: Outcome
    lines: tuple[str, ...]
    data: dict[str, Any] = field(default_factory=dict)


Step = Callable[[Options], Result]


@dataclass(frozen=True)
class Runbook:
    name: str
    title: str
    priority: str
    sla: str
    diagnose: Step
    mitigate: Step
    validate: Step

    def step(self, action: str) -> Step:
        steps: dict[str, Step] = {
            DIAGNOSE: self.diagnose,
            MITIGATE: self.mitigate,
            VALIDATE: self.validate,
        }
        return steps[action]


def worst(*outcomes: Outcome) -> Outcome:
    """Failed beats unknown beats ok."""
    if Outcome.FAILED in outcomes:
        return Outcome.FAILED
    if Outcome.UNKNOWN in outcomes or not outcomes:
        return Outcome.UNKNOWN
    return Outcome.OK
