"""Counters and latency observations in per-minute Redis hashes, cheap enough for hot paths.

``metric_count("ml_api_calls", {"status": "2xx", "tenant": "loja"})`` adds one to a field of
``metrics:ml_api_calls:<YYYYmmddHHMM>``; ``metric_observe`` adds a sample's count, sum and
histogram bucket. Recording only adds to a small in-process buffer; a background thread of each
process pushes it to Redis every second in one pipeline (and at exit), so a request pays
microseconds, not round trips. Redis stays the one place the numbers meet: nothing is read from
the buffer. A Redis outage loses samples, never requests.
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
import time
from collections import defaultdict
from collections.abc import Mapping

from peepers.redis import redis_client

logger = logging.getLogger(__name__)

RETENTION_SECONDS = 3 * 24 * 3600
LATENCY_BUCKETS_MS = (5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000)
FLUSH_SECONDS = 1.0
TOTALS_PREFIX = "metrics-total:"  # since the Redis database began: Prometheus counters


def _labels(labels: Mapping[str, object]) -> str:
    return ",".join(f"{key}={labels[key]}" for key in sorted(labels)) or "-"


def _key(name: str, at: float) -> str:
    return f"metrics:{name}:{time.strftime('%Y%m%d%H%M', time.gmtime(at))}"


class _Buffer:
    """Increments waiting for the next flush: ``(key, field) -> amount``."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.counts: dict[tuple[str, str], float] = defaultdict(float)
        self.pid = 0

    def add(self, key: str, field: str, amount: float) -> None:
        with self.lock:
            if self.pid != os.getpid():  # first use in this process (or after a fork)
                self.pid = os.getpid()
                self.counts.clear()
                threading.Thread(target=self._run, name="metrics-flush", daemon=True).start()
            self.counts[(key, field)] += amount

    def take(self) -> dict[tuple[str, str], float]:
        with self.lock:
            taken, self.counts = self.counts, defaultdict(float)
        return taken

    def _run(self) -> None:
        pid = os.getpid()
        while self.pid == pid:
            time.sleep(FLUSH_SECONDS)
            metrics_flush()


_buffer = _Buffer()


def metrics_flush() -> None:
    """Push everything recorded so far to Redis (the thread does this every second)."""
    pending = _buffer.take()
    if not pending:
        return
    try:
        pipe = redis_client().pipeline(transaction=False)
        for (key, field), amount in pending.items():
            # The minute's hash, and the running total that /metrics exposes as counters.
            total = TOTALS_PREFIX + key.split(":")[1]
            if float(amount).is_integer():
                pipe.hincrby(key, field, int(amount))
                pipe.hincrby(total, field, int(amount))
            else:
                pipe.hincrbyfloat(key, field, round(amount, 3))
                pipe.hincrbyfloat(total, field, round(amount, 3))
        for key in {key for key, _ in pending}:
            pipe.expire(key, RETENTION_SECONDS)
        pipe.execute()
    except Exception:  # a lost sample must never fail anything
        logger.warning("dropped %d metric updates: Redis unavailable", len(pending), exc_info=True)


atexit.register(metrics_flush)


def metric_count(
    name: str, labels: Mapping[str, object], amount: int = 1, *, at: float | None = None
) -> None:
    _buffer.add(_key(name, time.time() if at is None else at), _labels(labels), amount)


def metric_observe(
    name: str, labels: Mapping[str, object], milliseconds: float, *, at: float | None = None
) -> None:
    key = _key(name, time.time() if at is None else at)
    base = _labels(labels)
    bucket = next((str(b) for b in LATENCY_BUCKETS_MS if milliseconds <= b), "inf")
    _buffer.add(key, f"{base}|count", 1)
    _buffer.add(key, f"{base}|sum_ms", milliseconds)
    _buffer.add(key, f"{base}|le_{bucket}", 1)


def metric_totals() -> dict[str, dict[str, float]]:
    """Every metric's running totals: ``{name: {field: value}}`` (for ``/metrics``)."""
    metrics_flush()
    client = redis_client()
    totals: dict[str, dict[str, float]] = {}
    for key in client.scan_iter(f"{TOTALS_PREFIX}*", count=500):
        name = (key.decode() if isinstance(key, bytes) else key)[len(TOTALS_PREFIX) :]
        totals[name] = {
            (f.decode() if isinstance(f, bytes) else f): float(v)
            for f, v in client.hgetall(key).items()
        }
    return totals


def metric_read(name: str, *, minutes: int = 60, now: float | None = None) -> dict[str, float]:
    """Fields summed over the last ``minutes`` minutes, as Redis holds them (after a flush of
    this process's buffer), for tests, checks and dashboards."""
    metrics_flush()
    end = time.time() if now is None else now
    keys = [_key(name, end - 60 * offset) for offset in range(minutes)]
    totals: dict[str, float] = {}
    pipe = redis_client().pipeline(transaction=False)
    for key in keys:
        pipe.hgetall(key)
    for fields in pipe.execute():
        for field, value in fields.items():
            label = field.decode()
            totals[label] = totals.get(label, 0.0) + float(value)
    return totals
