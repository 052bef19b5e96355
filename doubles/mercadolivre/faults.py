"""Fault injection: the switches of ``POST /_sandbox/faults``, the per-request decision and the
hold on token answers.

Random faults draw from a seeded RNG, so a sequential client sees the same faults on every run.
"""

from __future__ import annotations

import dataclasses
import random
import threading
import time
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from doubles.mercadolivre.errors import (
    FORBIDDEN_BODIES,
    BadRequest,
    InternalError,
    SandboxError,
    TooManyRequests,
)

Token401Variant = Literal["classic", "unauthorized"]


@dataclass(frozen=True)
class FaultSettings:
    """What the sandbox does wrong on purpose; the defaults do nothing wrong."""

    rate_limit_fraction: float = 0.0
    retry_after: int | None = None
    quota_per_minute: int | None = None
    error_fraction: float = 0.0
    latency_ms: int = 0
    outage: bool = False
    partial_orders: bool = False
    token_401_variant: Token401Variant = "classic"  # noqa: S105 - a body shape, not a secret
    quirks: bool = False
    quirks_fraction: float = 0.5
    duplicate: bool = False
    deactivate_after_slow: int | None = None
    malformed_json: bool = False
    # Every API call (under ``forbidden_path_prefix`` when set) answers the 403 of this cause
    # once the token is valid (``FORBIDDEN_BODIES``).
    forbidden: str | None = None
    forbidden_path_prefix: str = ""
    # A refresh_token grant that succeeds is performed (the pair rotated, as ML does on receipt)
    # and its answer held (``TokenAnswerHold``) until released or for this many seconds.
    hold_token_answers: bool = False
    hold_token_answers_timeout: float = 30.0

    def to_json(self) -> dict[str, object]:
        return dataclasses.asdict(self)


FAULT_NAMES = frozenset(f.name for f in dataclasses.fields(FaultSettings))


def faults_updated(current: FaultSettings, changes: Mapping[str, object]) -> FaultSettings:
    """``current`` with ``changes`` applied; raises ``BadRequest`` naming a bad key or value."""
    unknown = sorted(set(changes) - FAULT_NAMES)
    if unknown:
        raise BadRequest(f"unknown fault setting(s): {', '.join(unknown)}")
    values: dict[str, object] = {}
    for name, value in changes.items():
        values[name] = _validated(name, value)
    return dataclasses.replace(current, **values)  # type: ignore[arg-type]


def _validated(name: str, value: object) -> object:
    if name in ("rate_limit_fraction", "error_fraction", "quirks_fraction"):
        return _fraction(name, value)
    if name in ("retry_after", "quota_per_minute", "deactivate_after_slow"):
        if value is None:
            return None
        return _count(name, value, minimum=1)
    if name == "latency_ms":
        return _count(name, value, minimum=0)
    if name == "hold_token_answers_timeout":
        if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
            raise BadRequest(f"{name} must be a number of seconds > 0")
        return float(value)
    if name == "forbidden":
        if value is not None and value not in FORBIDDEN_BODIES:
            raise BadRequest(f"forbidden must be null or one of {', '.join(FORBIDDEN_BODIES)}")
        return value
    if name == "forbidden_path_prefix":
        if not isinstance(value, str):
            raise BadRequest("forbidden_path_prefix must be a string")
        return value
    if name == "token_401_variant":
        if value not in ("classic", "unauthorized"):
            raise BadRequest("token_401_variant must be 'classic' or 'unauthorized'")
        return value
    if not isinstance(value, bool):
        raise BadRequest(f"{name} must be true or false")
    return value


def _fraction(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
        raise BadRequest(f"{name} must be a number between 0 and 1")
    return float(value)


def _count(name: str, value: object, *, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise BadRequest(f"{name} must be an integer >= {minimum}")
    return value


class FaultInjector:
    """Holds the live settings and decides, per API request, whether to fail it."""

    def __init__(self, *, lock: threading.RLock, seed: int, settings: FaultSettings) -> None:
        self._lock = lock
        self._seed = seed
        # Seeded on purpose: a sequential client meets the same faults on every run.
        self._rng = random.Random(seed)  # noqa: S311
        self._window: deque[float] = deque()
        self.settings = settings

    def update(self, changes: Mapping[str, object]) -> FaultSettings:
        with self._lock:
            self.settings = faults_updated(self.settings, changes)
            return self.settings

    def reset(self, settings: FaultSettings) -> None:
        with self._lock:
            self.settings = settings
            self._rng = random.Random(self._seed)  # noqa: S311
            self._window.clear()

    def api_failure(self) -> SandboxError | None:
        """The injected refusal for one API request (quota, random 429 or 500), if any."""
        with self._lock:
            settings = self.settings
            if settings.quota_per_minute is not None:
                now = time.monotonic()
                while self._window and now - self._window[0] >= 60:
                    self._window.popleft()
                if len(self._window) >= settings.quota_per_minute:
                    return TooManyRequests(settings.retry_after)
                self._window.append(now)
            # Draw only for active switches so turning one on does not shift the other's sequence.
            if settings.rate_limit_fraction and self._rng.random() < settings.rate_limit_fraction:
                return TooManyRequests(settings.retry_after)
            if settings.error_fraction and self._rng.random() < settings.error_fraction:
                return InternalError()
            return None

    def draw(self) -> float:
        """A number from the fault RNG, for notifier quirks."""
        with self._lock:
            return self._rng.random()


class TokenAnswerHold:
    """Token answers kept from leaving: each waits until ``release`` or its own timeout.

    What the request asked is already done when its answer is held, so a test can kill the
    client after ML acted and before the answer arrived. A timed-out answer is sent as usual.
    """

    def __init__(self) -> None:
        self._condition = threading.Condition()
        self._held: set[object] = set()

    @property
    def held(self) -> int:
        """How many answers are waiting now."""
        with self._condition:
            return len(self._held)

    def hold(self, *, timeout: float) -> bool:
        """Wait until released (True) or ``timeout`` seconds have passed (False)."""
        ticket = object()
        with self._condition:
            self._held.add(ticket)
            released = self._condition.wait_for(lambda: ticket not in self._held, timeout)
            self._held.discard(ticket)
            return released

    def release(self) -> int:
        """Let every held answer go; returns how many were held."""
        with self._condition:
            count = len(self._held)
            self._held.clear()
            self._condition.notify_all()
            return count
