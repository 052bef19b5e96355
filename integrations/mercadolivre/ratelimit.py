"""The shared ML call budget: GCRA in Redis, per application and per seller, with priorities.

Every process and machine draws from the same budget. ML publishes no quota, so the budget is
ours (``ML_RATE_LIMIT_PER_MINUTE`` per application, ``ML_SELLER_RATE_LIMIT_PER_MINUTE`` per
seller), and we spend only ``ML_RATE_LIMIT_TARGET`` (80 %) of it. GCRA keeps one timestamp per
key (the theoretical arrival time); a call is allowed when it would not push that timestamp
further ahead of now than the burst allowance, of which each priority may use its share.
The caller's clock is passed in (tests drive it; production uses wall time on every machine).
Spending happens in ``gate.call_permit``, together with the circuit breaker's check.
The runbook ``rate-limit-exceeded`` may tighten both budgets for a while: a factor in Redis
(``limiter_factor_set``, with an expiry) that every process reads at most once a second.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from django.conf import settings
from redis.exceptions import RedisError

from core.redis import redis_client
from integrations.mercadolivre.clock import Clock
from integrations.mercadolivre.priorities import Priority

BURST_SECONDS = 10  # the allowance: this many seconds' worth of budget may be spent at once
LIMITER_FACTOR_KEY = "ml:rl:factor"
FACTOR_CACHE_SECONDS = 1.0


@dataclass(frozen=True)
class Budget:
    per_minute: float

    @property
    def emission_ms(self) -> float:
        return 60_000.0 / self.per_minute

    def allowance_ms(self, priority: Priority) -> float:
        burst = max(1.0, self.per_minute * BURST_SECONDS / 60.0)
        # At least one emission interval, so a lone call of any priority always passes.
        return max(self.emission_ms, burst * self.emission_ms * priority.budget_share)


_factor_seen: tuple[float, float] = (-FACTOR_CACHE_SECONDS, 1.0)  # (monotonic time, factor)


def limiter_factor() -> float:
    """The multiplier on both budgets, 1.0 unless tightened (0 < factor <= 1)."""
    global _factor_seen
    read_at, factor = _factor_seen
    now = time.monotonic()
    if now - read_at < FACTOR_CACHE_SECONDS:
        return factor
    try:
        raw = redis_client().get(LIMITER_FACTOR_KEY)
        factor = min(1.0, max(0.01, float(raw))) if raw is not None else 1.0
    except (RedisError, ValueError):
        factor = 1.0
    _factor_seen = (now, factor)
    return factor


def limiter_factor_set(*, factor: float, seconds: int) -> None:
    """Tighten both budgets to ``factor`` of themselves for ``seconds``."""
    if not 0 < factor <= 1:
        raise ValueError("the limiter factor must be above 0 and at most 1")
    redis_client().set(LIMITER_FACTOR_KEY, repr(factor), ex=seconds)
    _forget_factor()


def limiter_factor_clear() -> None:
    redis_client().delete(LIMITER_FACTOR_KEY)
    _forget_factor()


def _forget_factor() -> None:
    global _factor_seen
    _factor_seen = (-FACTOR_CACHE_SECONDS, 1.0)


def app_budget() -> Budget:
    return Budget(
        settings.ML_RATE_LIMIT_PER_MINUTE * settings.ML_RATE_LIMIT_TARGET * limiter_factor()
    )


def seller_budget() -> Budget:
    return Budget(
        settings.ML_SELLER_RATE_LIMIT_PER_MINUTE * settings.ML_RATE_LIMIT_TARGET * limiter_factor()
    )


def budget_usage(*, seller_id: int | None = None, clock: Clock) -> float:
    """How much of the burst allowance is in use now, 0.0-1.0 (for the rate-limit KPI)."""
    key = f"ml:rl:seller:{seller_id}" if seller_id else f"ml:rl:app:{settings.ML_CLIENT_ID}"
    budget = seller_budget() if seller_id else app_budget()
    raw = redis_client().get(key)
    if raw is None:
        return 0.0
    ahead = float(raw) - clock.now() * 1000.0
    return max(0.0, min(1.0, ahead / budget.allowance_ms(Priority.CRITICAL)))
