"""Injected faults (``POST /_emulator/faults``) and the per-request decision.

Random faults draw from a seeded RNG, so a sequential client meets the same faults on every run.
They hit API routes only; the admin routes never fail, and an outage also takes the hosted pages.
"""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Mapping
from dataclasses import dataclass

from doubles.stripe.errors import ApiFailure, InvalidRequest, RateLimited, StripeError


@dataclass(frozen=True)
class FaultSettings:
    outage: bool = False
    latency_ms: int = 0
    error_fraction: float = 0.0
    rate_limit_fraction: float = 0.0

    def to_json(self) -> dict[str, object]:
        return dataclasses.asdict(self)


def faults_updated(current: FaultSettings, changes: Mapping[str, object]) -> FaultSettings:
    """``current`` with ``changes`` applied; a bad key or value is a 400 naming it."""
    values: dict[str, object] = {}
    for name, value in changes.items():
        if name == "outage":
            if not isinstance(value, bool):
                raise InvalidRequest("outage must be true or false", param=name)
        elif name == "latency_ms":
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise InvalidRequest("latency_ms must be an integer >= 0", param=name)
        elif name in ("error_fraction", "rate_limit_fraction"):
            if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
                raise InvalidRequest(f"{name} must be a number between 0 and 1", param=name)
            value = float(value)
        else:
            raise InvalidRequest(f"unknown fault setting: {name}", param=name)
        values[name] = value
    return dataclasses.replace(current, **values)  # type: ignore[arg-type]


class FaultInjector:
    """The live settings; callers hold the emulator's lock."""

    def __init__(self, seed: int) -> None:
        self._seed = seed
        self._rng = random.Random(f"faults:{seed}")  # noqa: S311 - replayable faults
        self.settings = FaultSettings()

    def update(self, changes: Mapping[str, object]) -> FaultSettings:
        self.settings = faults_updated(self.settings, changes)
        return self.settings

    def reset(self) -> None:
        self.settings = FaultSettings()
        self._rng = random.Random(f"faults:{self._seed}")  # noqa: S311

    def api_failure(self) -> StripeError | None:
        settings = self.settings
        # Draw only for active switches so turning one on does not shift the other's sequence.
        if settings.rate_limit_fraction and self._rng.random() < settings.rate_limit_fraction:
            return RateLimited()
        if settings.error_fraction and self._rng.random() < settings.error_fraction:
            return ApiFailure()
        return None
