"""Task retries: exponential backoff, or at least as long as the error says to wait."""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from celery.signals import task_retry

from core.errors import DomainError
from core.tasks import RETRY_AFTER_SPREAD, RetryPolicy
from tests.support.tasks import held_back

POLICY = RetryPolicy(on=(DomainError,), max_retries=5, backoff_seconds=2, backoff_max_seconds=60)


def test_a_retry_waits_at_least_what_the_error_says_and_a_little_spread():
    rng = random.Random(17)
    held = DomainError("held back", retry_after=300)

    countdowns = [POLICY.countdown(retries=0, exc=held, rng=rng) for _ in range(200)]

    assert min(countdowns) >= 300
    assert max(countdowns) <= 300 * (1 + RETRY_AFTER_SPREAD)
    assert len({round(c) for c in countdowns}) > 10  # spread out, not in lockstep


def test_without_retry_after_a_retry_backs_off_exponentially_up_to_the_cap():
    rng = random.Random(17)
    failed = DomainError("failed")

    for retries, cap in [(0, 2), (1, 4), (3, 16), (9, 60)]:
        countdowns = [POLICY.countdown(retries=retries, exc=failed, rng=rng) for _ in range(200)]
        assert min(countdowns) >= 0
        assert cap / 2 < max(countdowns) <= cap


def test_a_longer_backoff_wins_over_a_short_retry_after():
    rng = random.Random(17)
    soon = DomainError("probing", retry_after=1)

    assert max(POLICY.countdown(retries=9, exc=soon, rng=rng) for _ in range(200)) > 30


@pytest.fixture
def retries_seen() -> Iterator[list[Any]]:
    """The countdown of every retry Celery records (its ``task_retry`` signal)."""
    seen: list[Any] = []

    def record(sender: Any = None, reason: Any = None, **kwargs: Any) -> None:
        seen.append(reason.when)

    task_retry.connect(record, weak=False)
    try:
        yield seen
    finally:
        task_retry.disconnect(record)


def test_a_task_held_back_is_retried_no_sooner_than_it_was_told(retries_seen):
    result = held_back.apply(args=(uuid.uuid4().hex, 2, 45.0))

    assert result.get() == 3
    assert len(retries_seen) == 2
    assert all(45 <= when <= 45 * (1 + RETRY_AFTER_SPREAD) for when in retries_seen)


def test_a_task_still_failing_after_its_retries_raises_the_error(retries_seen):
    result = held_back.apply(args=(uuid.uuid4().hex, 10, 5.0))

    with pytest.raises(DomainError, match="held back"):
        result.get()
    assert len(retries_seen) == 2  # max_retries
