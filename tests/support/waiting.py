"""Waiting for something another process does (a worker, a webhook, a browser)."""

from __future__ import annotations

import time
from collections.abc import Callable


def wait_until(predicate: Callable[[], bool], *, timeout: float = 30.0) -> bool:
    """Whether ``predicate`` became true within ``timeout`` seconds (asked every 0.2 s)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False
