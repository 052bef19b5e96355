"""The shared wait: what it returns, when it gives up, and what it says then."""

import itertools

import pytest

from tests.support.waiting import hold_for, wait_until


def test_wait_until_returns_the_first_truthy_answer():
    answers = iter([None, None, b"public"])

    assert wait_until(lambda: next(answers), timeout=5, every=0.01) == b"public"


def test_wait_until_returns_the_last_falsy_answer_on_timeout():
    assert wait_until(lambda: None, timeout=0.05, every=0.01) is None
    assert wait_until(lambda: False, timeout=0.05, every=0.01) is False


def test_wait_until_raises_its_message_on_timeout_asked_only_then():
    asked = itertools.count()

    def message() -> str:
        return f"state at the deadline: {next(asked)}"

    with pytest.raises(AssertionError, match="state at the deadline: 0"):
        wait_until(lambda: False, timeout=0.05, every=0.01, message=message)


def test_wait_until_asks_at_least_once_even_without_time():
    assert wait_until(lambda: True, timeout=0) is True


def test_hold_for_checks_all_along_and_a_failing_check_stops_it():
    calls = itertools.count()

    def check() -> None:
        assert next(calls) < 3, "went down"

    with pytest.raises(AssertionError, match="went down"):
        hold_for(5, check, every=0.01)
