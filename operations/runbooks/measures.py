"""Reading the recorded metrics for a diagnosis: a window of one metric (Redis, else the
``MetricMinute`` rollups), latency percentiles from histogram buckets, counters by label."""

from __future__ import annotations

import math
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.db.models import Sum
from django.utils import timezone
from redis.exceptions import RedisError

from core.metrics import LATENCY_BUCKETS_MS, metric_read
from operations.models import MetricMinute


@dataclass(frozen=True)
class Window:
    """One metric's fields summed over the last ``minutes``, and where they were read."""

    name: str
    minutes: int
    fields: dict[str, float]
    source: str  # "redis", "rollups" or "none"

    @property
    def empty(self) -> bool:
        return not self.fields


def metric_window(name: str, *, minutes: int, now: float | None = None) -> Window:
    """Redis holds three days of minutes; when it has nothing (flushed, unreachable), the
    rollups in PostgreSQL answer for the same window."""
    try:
        fields = metric_read(name, minutes=minutes, now=now)
    except RedisError:
        fields = {}
    if fields:
        return Window(name, minutes, fields, "redis")
    end = timezone.now() if now is None else datetime.fromtimestamp(now, tz=UTC)
    rows = (
        MetricMinute.objects.filter(name=name, minute__gt=end - timedelta(minutes=minutes))
        .values("field")
        .annotate(total=Sum("value"))
    )
    fields = {row["field"]: float(row["total"]) for row in rows}
    return Window(name, minutes, fields, "rollups" if fields else "none")


def labels_of(field: str) -> dict[str, str]:
    """``"status=2xx,tenant=a|count"`` → ``{"status": "2xx", "tenant": "a"}``."""
    rendered = field.split("|", 1)[0]
    if rendered == "-":
        return {}
    found: dict[str, str] = {}
    for part in rendered.split(","):
        key, _, value = part.partition("=")
        found[key] = value
    return found


def counts_by(window: Window, *keys: str) -> dict[tuple[str, ...], float]:
    """A counter's totals grouped by the values of ``keys`` (missing labels read as "")."""
    grouped: dict[tuple[str, ...], float] = defaultdict(float)
    for field, value in window.fields.items():
        if "|" in field:
            continue
        labels = labels_of(field)
        grouped[tuple(labels.get(key, "") for key in keys)] += value
    return dict(grouped)


@dataclass(frozen=True)
class Latency:
    count: int
    mean_ms: float | None
    p95_ms: float | None  # the upper bound of the bucket holding the 95th percentile
    p100_ms: float | None  # the upper bound of the slowest non-empty bucket (inf: > 10 s)
    over_500: int

    @staticmethod
    def bound(value: float | None) -> str:
        if value is None:
            return "no data"
        if math.isinf(value):
            return f"> {LATENCY_BUCKETS_MS[-1]} ms"
        return f"≤ {value:g} ms"


def latency(window: Window) -> Latency:
    """Percentiles over every label set of a histogram window."""
    count = 0.0
    total_ms = 0.0
    buckets: dict[float, float] = defaultdict(float)
    for field, value in window.fields.items():
        _, _, part = field.partition("|")
        if part == "count":
            count += value
        elif part == "sum_ms":
            total_ms += value
        elif part.startswith("le_"):
            upper = part[3:]
            buckets[math.inf if upper == "inf" else float(upper)] += value
    if count <= 0:
        return Latency(0, None, None, None, 0)
    cumulative = 0.0
    p95: float | None = None
    for bound in sorted(buckets):
        cumulative += buckets[bound]
        if p95 is None and cumulative >= 0.95 * count:
            p95 = bound
    p100 = max((bound for bound, value in buckets.items() if value > 0), default=None)
    over = sum(value for bound, value in buckets.items() if bound > 500)
    return Latency(int(count), total_ms / count, p95, p100, int(over))


def timed_ms(probe: Callable[[], object], *, tries: int = 5) -> float:
    """The median of ``tries`` timings of calling ``probe``."""
    samples = []
    for _ in range(tries):
        started = time.perf_counter()
        probe()
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    return samples[len(samples) // 2]
