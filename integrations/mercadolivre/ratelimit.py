"""The shared ML call budget: GCRA in Redis, per application and per seller, with priorities.

Every process and machine draws from the same budget. ML publishes no quota, so the budget is
ours (``ML_RATE_LIMIT_PER_MINUTE`` per application, ``ML_SELLER_RATE_LIMIT_PER_MINUTE`` per
seller), and we spend only ``ML_RATE_LIMIT_TARGET`` (80 %) of it. GCRA keeps one timestamp per
key (the theoretical arrival time); a call is allowed when it would not push that timestamp
further ahead of now than the burst allowance, of which each priority may use its share.
The caller's clock is passed in (tests drive it; production uses wall time on every machine).
Spending happens in ``gate.call_permit``, together with the circuit breaker's check.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings

from integrations.mercadolivre.clock import Clock
from integrations.mercadolivre.priorities import Priority
from peepers.redis import redis_client

BURST_SECONDS = 10  # the allowance: this many seconds' worth of budget may be spent at once


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


def app_budget() -> Budget:
    return Budget(settings.ML_RATE_LIMIT_PER_MINUTE * settings.ML_RATE_LIMIT_TARGET)


def seller_budget() -> Budget:
    return Budget(settings.ML_SELLER_RATE_LIMIT_PER_MINUTE * settings.ML_RATE_LIMIT_TARGET)


def budget_usage(*, seller_id: int | None = None, clock: Clock) -> float:
    """How much of the burst allowance is in use now, 0.0-1.0 (for the rate-limit KPI)."""
    key = f"ml:rl:seller:{seller_id}" if seller_id else f"ml:rl:app:{settings.ML_CLIENT_ID}"
    budget = seller_budget() if seller_id else app_budget()
    raw = redis_client().get(key)
    if raw is None:
        return 0.0
    ahead = float(raw) - clock.now() * 1000.0
    return max(0.0, min(1.0, ahead / budget.allowance_ms(Priority.CRITICAL)))
