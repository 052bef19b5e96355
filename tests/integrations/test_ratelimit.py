"""The shared ML budget: GCRA in Redis with per-priority shares."""

import pytest

from integrations.mercadolivre.gate import budget_take
from integrations.mercadolivre.priorities import Priority
from integrations.mercadolivre.ratelimit import budget_usage


@pytest.fixture
def tight(settings):
    settings.ML_RATE_LIMIT_PER_MINUTE = 75  # 60 calls/minute at the 80 % target
    settings.ML_SELLER_RATE_LIMIT_PER_MINUTE = 10_000
    settings.ML_RATE_LIMIT_TARGET = 0.8


def drain(priority, clock, seller_id=1):
    taken = 0
    while budget_take(seller_id=seller_id, priority=priority, clock=clock) == 0.0:
        taken += 1
    return taken


@pytest.mark.usefixtures("tight")
def test_the_burst_allowance_scales_with_priority(clock):
    # The burst is 10 calls (10 s at one per second); each priority may fill its share.
    assert drain(Priority.LOW, clock) == 2  # up to 25 %
    assert drain(Priority.MEDIUM, clock) == 3  # up to 50 %
    assert drain(Priority.HIGH, clock) == 3  # up to 80 %
    assert drain(Priority.CRITICAL, clock) == 2  # all of it


@pytest.mark.usefixtures("tight")
def test_critical_calls_pass_where_low_ones_wait(clock):
    drain(Priority.LOW, clock)

    assert budget_take(seller_id=1, priority=Priority.LOW, clock=clock) > 0
    assert budget_take(seller_id=1, priority=Priority.CRITICAL, clock=clock) == 0.0


@pytest.mark.usefixtures("tight")
def test_the_budget_refills_with_time(clock):
    drain(Priority.CRITICAL, clock)
    wait = budget_take(seller_id=1, priority=Priority.CRITICAL, clock=clock)

    assert 0 < wait <= 1.0  # one call per second at 60/minute
    clock.advance(wait)
    assert budget_take(seller_id=1, priority=Priority.CRITICAL, clock=clock) == 0.0


def test_each_seller_has_its_own_budget(settings, clock):
    settings.ML_RATE_LIMIT_PER_MINUTE = 100_000
    settings.ML_SELLER_RATE_LIMIT_PER_MINUTE = 75
    drain(Priority.CRITICAL, clock, seller_id=1)

    assert budget_take(seller_id=1, priority=Priority.CRITICAL, clock=clock) > 0
    assert budget_take(seller_id=2, priority=Priority.CRITICAL, clock=clock) == 0.0


@pytest.mark.usefixtures("tight")
def test_usage_reports_how_full_the_allowance_is(clock):
    assert budget_usage(clock=clock) == 0.0
    drain(Priority.CRITICAL, clock)
    assert budget_usage(clock=clock) == pytest.approx(1.0, abs=0.11)
