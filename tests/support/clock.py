"""A clock the tests move by hand: sleeping advances it instantly and is recorded."""

from __future__ import annotations

import threading
import time


class FakeClock:
    def __init__(self, start: float | None = None) -> None:
        # Starts at the real time: tokens' expiry dates come from the database's clock.
        self._now = time.time() if start is None else start
        self.slept: list[float] = []
        self._lock = threading.Lock()

    def now(self) -> float:
        with self._lock:
            return self._now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.slept.append(seconds)
            self._now += seconds

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._now += seconds
