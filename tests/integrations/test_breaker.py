"""The ML circuit breaker, its state in Redis: open after 5 failures, one probe after 5 min."""

import threading

import pytest

from integrations.mercadolivre.breaker import PROBE_RETRY_SECONDS, Breaker
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


def test_open_says_how_long_until_a_probe_may_go(clock):
    breaker = Breaker("test", clock=clock)
    for _ in range(5):
        breaker.record_failure()
    clock.advance(120)

    with pytest.raises(MLCircuitOpen) as raised:
        breaker.before_call()

    assert raised.value.retry_after == pytest.approx(180, abs=0.01)


def test_while_someone_probes_the_others_are_told_to_try_again_shortly(clock):
    breaker = Breaker("test", clock=clock)
    for _ in range(5):
        breaker.record_failure()
    clock.advance(300)
    breaker.before_call()  # this caller probes

    with pytest.raises(MLCircuitOpen, match="probed") as raised:
        Breaker("test", clock=clock).before_call()

    assert 0 < raised.value.retry_after <= PROBE_RETRY_SECONDS


def test_only_the_failure_that_opens_the_breaker_says_so(clock):
    breaker = Breaker("test", clock=clock)

    assert [breaker.record_failure() for _ in range(6)] == [False] * 4 + [True, False]


def test_a_failed_probe_says_it_reopened_the_breaker(clock):
    breaker = Breaker("test", clock=clock)
    for _ in range(5):
        breaker.record_failure()
    clock.advance(300)
    breaker.before_call()

    assert breaker.record_failure() is True
    assert breaker.state() == "open"


def test_of_concurrent_failures_exactly_one_opens_the_breaker(clock):
    opened = []

    def fail() -> None:
        opened.append(Breaker("test", clock=clock).record_failure())

    threads = [threading.Thread(target=fail) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # 20 failures at a threshold of 5: it opened, the count started over, and it opened again
    # at every fifth failure since; each opening was told to exactly one caller.
    assert opened.count(True) == 4
