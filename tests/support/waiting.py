"""Waiting for something another process does (a worker, a webhook, a browser), and holding
still for a while to show that something does not happen."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def wait_until(
    predicate: Callable[[], T],
    *,
    timeout: float = 30.0,
    every: float = 0.2,
    message: str | Callable[[], str] | None = None,
) -> T:
    """The first truthy answer of ``predicate`` within ``timeout`` seconds (asked at once, then
    every ``every`` seconds, and once more at the deadline).

    On timeout: its last (falsy) answer, or, given ``message``, an ``AssertionError`` saying it
    (a callable message is asked only then, so it can show the state at the deadline). What the
    predicate raises is not caught: a predicate can fail fast when waiting has become pointless.
    """
    deadline = time.monotonic() + timeout
    while True:
        last_check = time.monotonic() >= deadline
        answer = predicate()
        if answer or last_check:
            break
        time.sleep(max(0.0, min(every, deadline - time.monotonic())))
    if not answer and message is not None:
        raise AssertionError(message() if callable(message) else message)
    return answer


def hold_for(seconds: float, check: Callable[[], object], *, every: float) -> None:
    """Call ``check`` every ``every`` seconds for ``seconds``: it asserts what must stay true all
    along (every process still alive). Not a wait: it never ends early."""
    until = time.monotonic() + seconds
    while time.monotonic() < until:
        check()
        time.sleep(every)
