"""Counters and latency observations in per-minute Redis hashes, cheap enough for hot paths.

``metric_count("ml_api_calls", {"status": "2xx", "tenant": "loja"})`` adds one to a field of
``metrics:ml_api_calls:<YYYYmmddHHMM>``; ``metric_observe`` adds a sample's count, sum and
histogram bucket. Operations roll these up into the database and serve SLA windows; recording
never raises into the caller (a Redis outage loses samples, not requests).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping

from peepers.redis import redis_client

logger = logging.getLogger(__name__)

RETENTION_SECONDS = 3 * 24 * 3600
LATENCY_BUCKETS_MS = (5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000)


def _labels(labels: Mapping[str, object]) -> str:
    return ",".join(f"{key}={labels[key]}" for key in sorted(labels)) or "-"


def _key(name: str, at: float) -> str:
    return f"metrics:{name}:{time.strftime('%Y%m%d%H%M', time.gmtime(at))}"


def metric_count(
    name: str, labels: Mapping[str, object], amount: int = 1, *, at: float | None = None
) -> None:
    key = _key(name, time.time() if at is None else at)
    try:
        pipe = redis_client().pipeline(transaction=False)
        pipe.hincrby(key, _labels(labels), amount)
        pipe.expire(key, RETENTION_SECONDS)
        pipe.execute()
    except Exception:  # a lost sample must never fail the caller
        logger.debug("metric %s not recorded", name, exc_info=True)


def metric_observe(
    name: str, labels: Mapping[str, object], milliseconds: float, *, at: float | None = None
) -> None:
    key = _key(name, time.time() if at is None else at)
    base = _labels(labels)
    bucket = next((str(b) for b in LATENCY_BUCKETS_MS if milliseconds <= b), "inf")
    try:
        pipe = redis_client().pipeline(transaction=False)
        pipe.hincrby(key, f"{base}|count", 1)
        pipe.hincrbyfloat(key, f"{base}|sum_ms", round(milliseconds, 3))
        pipe.hincrby(key, f"{base}|le_{bucket}", 1)
        pipe.expire(key, RETENTION_SECONDS)
        pipe.execute()
    except Exception:
        logger.debug("metric %s not recorded", name, exc_info=True)


def metric_read(name: str, *, minutes: int = 60, now: float | None = None) -> dict[str, float]:
    """Fields summed over the last ``minutes`` minutes (for tests, checks and dashboards)."""
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
