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

from core.redis import redis_client

logger = logging.getLogger(__name__)

RETENTION_SECONDS = 3 * 24 * 3600
LATENCY_BUCKETS_MS = (5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000)
FLUSH_SECONDS = 1.0
TOTALS_PREFIX = "metrics-total:"  # since the Redis database began: Prometheus counters
STREAK_PREFIX = "metrics-streak:"  # runs of consecutive bad samples, for "N consecutive" alerts
GAUGE_PREFIX = "metrics-gauge:"  # last value of a gauge (queue depth...), for /metrics
# Histograms whose samples above a bound also count as a streak: the runbook's webhook_timeout
# fires on "3 consecutive" acknowledgements slower than 500 ms, an ordering a histogram loses.
STREAKS_MS = {"ml_webhook_ack": 500.0}


_BUCKET_NAMES = {bound: str(bound) for bound in LATENCY_BUCKETS_MS}


def _labels(labels: Mapping[str, object]) -> str:
    return ",".join(f"{key}={labels[key]}" for key in sorted(labels)) or "-"


_minute: tuple[int, str] = (-1, "")  # the last minute formatted, shared by every caller


def _stamp(at: float) -> str:
    global _minute
    minute = int(at // 60)
    cached = _minute
    if cached[0] == minute:
        return cached[1]
    stamp = time.strftime("%Y%m%d%H%M", time.gmtime(minute * 60))
    _minute = (minute, stamp)
    return stamp


def _key(name: str, at: float) -> str:
    return f"metrics:{name}:{_stamp(at)}"


class _Run:
    """Bad/good samples of a streak since the last flush, as run lengths (order kept)."""

    __slots__ = ("any_good", "leading", "longest", "samples", "trailing")

    def __init__(self) -> None:
        self.samples = 0
        self.any_good = False
        self.leading = 0  # bad samples before the first good one
        self.longest = 0  # longest run of bad samples
        self.trailing = 0  # bad samples since the last good one

    def add(self, bad: bool) -> None:
        self.samples += 1
        if bad:
            self.trailing += 1
            self.longest = max(self.longest, self.trailing)
            if not self.any_good:
                self.leading += 1
        else:
            self.any_good = True
            self.trailing = 0


class _Buffer:
    """Increments waiting for the next flush: ``(key, field) -> amount``, and streak runs."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.counts: dict[tuple[str, str], float] = defaultdict(float)
        self.runs: dict[str, _Run] = {}
        self.pid = 0

    def _started(self) -> None:
        if self.pid != os.getpid():  # first use in this process (or after a fork)
            self.pid = os.getpid()
            self.counts.clear()
            self.runs.clear()
            threading.Thread(target=self._run, name="metrics-flush", daemon=True).start()

    def add(self, key: str, field: str, amount: float) -> None:
        with self.lock:
            self._started()
            self.counts[(key, field)] += amount

    def observe(
        self, key: str, base: str, bucket: str, milliseconds: float, streak: str | None
    ) -> None:
        """A histogram sample's three fields (and its streak) under one lock."""
        with self.lock:
            self._started()
            counts = self.counts
            counts[(key, base + "|count")] += 1
            counts[(key, base + "|sum_ms")] += milliseconds
            counts[(key, base + "|le_" + bucket)] += 1
            if streak is not None:
                run = self.runs.get(streak)
                if run is None:
                    run = self.runs[streak] = _Run()
                run.add(milliseconds > STREAKS_MS[streak])

    def streak(self, name: str, bad: bool) -> None:
        with self.lock:
            self._started()
            run = self.runs.get(name)
            if run is None:
                run = self.runs[name] = _Run()
            run.add(bad)

    def take(self) -> tuple[dict[tuple[str, str], float], dict[str, _Run]]:
        with self.lock:
            taken, self.counts = self.counts, defaultdict(float)
            runs, self.runs = self.runs, {}
        return taken, runs

    def _run(self) -> None:
        pid = os.getpid()
        while self.pid == pid:
            time.sleep(FLUSH_SECONDS)
            metrics_flush()


_buffer = _Buffer()

# Extends a streak with one flush's runs, atomically: every process adds to the same streak.
# KEYS[1] streak hash (cur: bad samples in a row now, peak: longest run since the last take);
# ARGV samples, any_good, leading, longest, trailing, ttl.
_STREAK_ADD = """
local cur = tonumber(redis.call('HGET', KEYS[1], 'cur') or '0')
local peak = tonumber(redis.call('HGET', KEYS[1], 'peak') or '0')
local n, good = tonumber(ARGV[1]), tonumber(ARGV[2])
local leading, longest, trailing = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
if good == 0 then
  cur = cur + n
  peak = math.max(peak, cur)
else
  if leading > 0 then peak = math.max(peak, cur + leading) end
  peak = math.max(peak, longest)
  cur = trailing
end
redis.call('HSET', KEYS[1], 'cur', cur, 'peak', peak)
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[6]))
return peak
"""
# The longest run that grew since the previous take, and restart the count. A run still going
# counts again only once it grows (a run reported before and then broken is not news).
_STREAK_TAKE = """
local cur = redis.call('HGET', KEYS[1], 'cur') or '0'
local peak = redis.call('HGET', KEYS[1], 'peak') or '0'
redis.call('HSET', KEYS[1], 'peak', 0)
return {cur, peak}
"""


def metrics_flush() -> None:
    """Push everything recorded so far to Redis (the thread does this every second)."""
    pending, runs = _buffer.take()
    if not pending and not runs:
        return
    try:
        client = redis_client()
        pipe = client.pipeline(transaction=False)
        for name, run in runs.items():
            pipe.eval(
                _STREAK_ADD,
                1,
                STREAK_PREFIX + name,
                run.samples,
                int(run.any_good),
                run.leading,
                run.longest,
                run.trailing,
                RETENTION_SECONDS,
            )
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
        logger.warning(
            "dropped %d metric updates: Redis unavailable", len(pending) + len(runs), exc_info=True
        )
        _dropped[0] += len(pending) + len(runs)


_dropped = [0]  # updates this process could not push (Redis down): exposed, never raised


def metrics_dropped() -> int:
    return _dropped[0]


atexit.register(metrics_flush)


def metric_count(
    name: str, labels: Mapping[str, object], amount: int = 1, *, at: float | None = None
) -> None:
    _buffer.add(_key(name, time.time() if at is None else at), _labels(labels), amount)


def metric_observe(
    name: str, labels: Mapping[str, object], milliseconds: float, *, at: float | None = None
) -> None:
    key = _key(name, time.time() if at is None else at)
    bucket = "inf"
    for bound in LATENCY_BUCKETS_MS:
        if milliseconds <= bound:
            bucket = _BUCKET_NAMES[bound]
            break
    _buffer.observe(
        key, _labels(labels), bucket, milliseconds, name if name in STREAKS_MS else None
    )


def metric_streak(name: str) -> tuple[int, int]:
    """``(current, peak)`` for a streak: bad samples in a row now, and the longest run that
    grew since the previous call (which starts the next period). Read by the alert evaluator."""
    metrics_flush()
    current, peak = redis_client().eval(_STREAK_TAKE, 1, STREAK_PREFIX + name)
    return int(current), int(peak)


def metric_gauges(name: str, values: Mapping[str, float], *, at: float | None = None) -> None:
    """Set gauges now (not buffered: for periodic probes, not hot paths), both in the minute's
    hash (history) and the latest-value hash /metrics exposes. Labels are rendered fields."""
    if not values:
        return
    key = _key(name, time.time() if at is None else at)
    pipe = redis_client().pipeline(transaction=False)
    mapping: dict[str | bytes, float | str] = dict(values.items())
    pipe.hset(key, mapping=mapping)  # type: ignore[arg-type]  # redis-py's Mapping is invariant
    pipe.expire(key, RETENTION_SECONDS)
    pipe.delete(GAUGE_PREFIX + name)
    pipe.hset(GAUGE_PREFIX + name, mapping=mapping)  # type: ignore[arg-type]
    pipe.execute()


def metric_labels(labels: Mapping[str, object]) -> str:
    """The field a set of labels is stored under (``a=1,b=2``)."""
    return _labels(labels)


def metric_gauge_values() -> dict[str, dict[str, float]]:
    """Every gauge's latest values: ``{name: {labels: value}}`` (for ``/metrics``)."""
    client = redis_client()
    found: dict[str, dict[str, float]] = {}
    for key in client.scan_iter(f"{GAUGE_PREFIX}*", count=500):
        name = (key.decode() if isinstance(key, bytes) else key)[len(GAUGE_PREFIX) :]
        found[name] = {
            (f.decode() if isinstance(f, bytes) else f): float(v)
            for f, v in client.hgetall(key).items()
        }
    return found


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
