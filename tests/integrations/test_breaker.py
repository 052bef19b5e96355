"""The ML circuit breaker, its state in Redis: open after 5 failures, one probe after 5 min."""

import pytest

from integrations.mercadolivre.breaker import Breaker
from integrations.mercadolivre.errors import MLCircuitOpen


def test_opens_after_five_consecutive_failures(clock):
    breaker = Breaker("test", clock=clock)
    for _ in range(4):
        breaker.before_call()
        breaker.record_failure()
    assert breaker.state() == "closed"
    breaker.before_call()
    breaker.record_failure()

    assert breaker.state() == "open"
    with pytest.raises(MLCircuitOpen):
        breaker.before_call()


def test_a_success_resets_the_count(clock):
    breaker = Breaker("test", clock=clock)
    for _ in range(4):
        breaker.record_failure()
    breaker.record_success()
    for _ in range(4):
        breaker.record_failure()
    assert breaker.state() == "closed"


def test_state_is_shared_between_breaker_objects(clock):
    for _ in range(5):
        Breaker("test", clock=clock).record_failure()
    with pytest.raises(MLCircuitOpen):
        Breaker("test", clock=clock).before_call()


def test_after_five_minutes_exactly_one_probe_goes_out(clock):
    breaker = Breaker("test", clock=clock)
    for _ in range(5):
        breaker.record_failure()
    clock.advance(299)
    with pytest.raises(MLCircuitOpen):
        breaker.before_call()
    clock.advance(1)

    breaker.before_call()  # this caller probes
    with pytest.raises(MLCircuitOpen, match="probed"):
        Breaker("test", clock=clock).before_call()  # everyone else still waits
    breaker.record_success()

    assert breaker.state() == "closed"
    Breaker("test", clock=clock).before_call()


def test_a_failed_probe_opens_it_again(clock):
    breaker = Breaker("test", clock=clock)
    for _ in range(5):
        breaker.record_failure()
    clock.advance(300)
    breaker.before_call()
    breaker.record_failure()

    assert breaker.state() == "open"
    clock.advance(299)
    with pytest.raises(MLCircuitOpen):
        breaker.before_call()
