"""The runbook's KPI table, computed from the metric rollups: value, target, and trend.

Each KPI reads one metric over a window (default the last hour) and the window before it for the
trend. A KPI with no samples in the window is "no data", never a made-up number.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Sum
from django.utils import timezone

from operations.models import MetricMinute
from peepers.metrics import LATENCY_BUCKETS_MS


def metric_fields(name: str, start: datetime, end: datetime) -> dict[str, float]:
    """A metric's fields summed over the rollup minutes in ``[start, end)``."""
    rows = (
        MetricMinute.objects.filter(name=name, minute__gte=start, minute__lt=end)
        .values("field")
        .annotate(total=Sum("value"))
    )
    return {row["field"]: float(row["total"]) for row in rows}


def histogram_p95(fields: dict[str, float], *, label_filter: str = "") -> float | None:
    """The 95th percentile's bucket bound (ms) of a latency histogram."""
    selected = {k: v for k, v in fields.items() if label_filter in k.split("|")[0]}
    total = sum(v for k, v in selected.items() if k.endswith("|count"))
    if not total:
        return None
    seen = 0.0
    for bound in LATENCY_BUCKETS_MS:
        seen += sum(v for k, v in selected.items() if k.endswith(f"|le_{bound}"))
        if seen >= 0.95 * total:
            return float(bound)
    return float("inf")


def _ratio(fields: dict[str, float], good: Callable[[str], bool]) -> float | None:
    counts = {k: v for k, v in fields.items() if k.endswith("|count") or "|" not in k}
    total = sum(counts.values())
    if not total:
        return None
    return sum(v for k, v in counts.items() if good(k)) / total


# The names the KPI definitions below were written with.
_fields = metric_fields
_p95 = histogram_p95


@dataclass(frozen=True)
class Kpi:
    name: str
    target: str
    value: float | None
    previous: float | None
    unit: str
    met: bool | None

    @property
    def trend(self) -> str:
        if self.value is None or self.previous is None:
            return "—"
        if self.value == self.previous:
            return "→"
        return "↑" if self.value > self.previous else "↓"


@dataclass(frozen=True)
class _Definition:
    name: str
    target: str
    unit: str
    compute: Callable[[datetime, datetime], float | None]
    good: Callable[[float], bool]


def _api_p95(start: datetime, end: datetime) -> float | None:
    return _p95(_fields("http_request", start, end), label_filter="class=api")


def _webhook_p95(start: datetime, end: datetime) -> float | None:
    return _p95(_fields("ml_webhook_ack", start, end))


def _error_rate(start: datetime, end: datetime) -> float | None:
    fields = {
        k: v for k, v in _fields("http_request", start, end).items() if "class=admin" not in k
    }
    share = _ratio(fields, lambda k: "status=5xx" in k)
    return None if share is None else share * 100


def _refresh_success(start: datetime, end: datetime) -> float | None:
    share = _ratio(_fields("ml_token_refresh", start, end), lambda k: "outcome=success" in k)
    return None if share is None else share * 100


def _webhook_delivery(start: datetime, end: datetime) -> float | None:
    fields = _fields("ml_webhook", start, end)
    share = _ratio(fields, lambda k: "outcome=accepted" in k or "outcome=duplicate" in k)
    return None if share is None else share * 100


def _oauth_success(start: datetime, end: datetime) -> float | None:
    fields = _fields("ml_oauth_flow", start, end)
    started = fields.get("outcome=started", 0.0)
    if not started:
        return None
    return min(100.0, fields.get("outcome=connected", 0.0) / started * 100)


KPIS = (
    _Definition("API response time (p95)", "< 500 ms", "ms", _api_p95, lambda v: v < 500),
    _Definition("Webhook processing (p95)", "< 500 ms", "ms", _webhook_p95, lambda v: v < 500),
    _Definition("Error rate", "< 1%", "%", _error_rate, lambda v: v < 1),
    _Definition("Token refresh success", "> 99%", "%", _refresh_success, lambda v: v > 99),
    _Definition("Webhook delivery success", "> 99%", "%", _webhook_delivery, lambda v: v > 99),
    _Definition("OAuth flow success", "> 99%", "%", _oauth_success, lambda v: v > 99),
)


def kpi_table(*, minutes: int = 60, now: datetime | None = None) -> list[Kpi]:
    end = now or timezone.now()
    start = end - timedelta(minutes=minutes)
    before = start - timedelta(minutes=minutes)
    table = []
    for definition in KPIS:
        value = definition.compute(start, end)
        table.append(
            Kpi(
                name=definition.name,
                target=definition.target,
                value=value,
                previous=definition.compute(before, start),
                unit=definition.unit,
                met=None if value is None else definition.good(value),
            )
        )
    return table
