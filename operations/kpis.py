"""The runbook's KPI table, computed from the metric rollups: value, target, and trend.

Each KPI reads one metric over a window (default the last hour) and the window before it for the
trend. A KPI with no samples in the window is "no data", never a made-up number.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
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


def _uptime(start: datetime, end: datetime) -> float | None:
    """Health probes (evaluate_alerts, every 30 s) that found every dependency up."""
    fields = {k: v for k, v in _fields("health_probe", start, end).items() if "check=all" in k}
    share = _ratio(fields, lambda k: "outcome=up" in k)
    return None if share is None else share * 100


def _rate_limit_usage(start: datetime, end: datetime) -> float | None:
    """Mercado Livre calls per minute against the application's budget."""
    calls = sum(_fields("ml_api_calls", start, end).values())
    if not calls:
        return None
    minutes = max(1.0, (end - start).total_seconds() / 60)
    return float(calls / minutes / float(settings.ML_RATE_LIMIT_PER_MINUTE) * 100)


KPIS = (
    _Definition("API response time (p95)", "< 500 ms", "ms", _api_p95, lambda v: v < 500),
    _Definition("Webhook processing (p95)", "< 500 ms", "ms", _webhook_p95, lambda v: v < 500),
    _Definition("Error rate", "< 1%", "%", _error_rate, lambda v: v < 1),
    _Definition("Uptime (health probes)", "> 99.9%", "%", _uptime, lambda v: v > 99.9),
    _Definition("Rate-limit usage", "< 80%", "%", _rate_limit_usage, lambda v: v < 80),
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


@dataclass(frozen=True)
class Business:
    """The runbook's business metrics from the daily ``process_analytics`` snapshots."""

    day: date
    active_tenants: int
    tenants_total: int
    mrr_cents: int
    arr_cents: int
    past_due_mrr_cents: int
    ml_api_calls: int
    calls_per_tenant: float | None
    top_tenants: list[tuple[str, int]]
    compared_with: date | None
    active_growth: float | None  # % since ``compared_with``
    mrr_growth: float | None


def _growth(now: float, then: float | None) -> float | None:
    if then is None or not then:
        return None
    return (now - then) / then * 100


def business_kpis(*, days: int = 30) -> Business | None:
    """The latest snapshot against the one ``days`` earlier (or the oldest one after it);
    None before process_analytics has run once."""
    from operations.maintenance.models import DailySnapshot

    latest = DailySnapshot.objects.order_by("-day").first()
    if latest is None:
        return None
    earlier = (
        DailySnapshot.objects.filter(day__gte=latest.day - timedelta(days=days), day__lt=latest.day)
        .order_by("day")
        .first()
    )
    active = int(latest.tenants_by_status.get("active", 0))
    calls = {
        schema: int(numbers.get("ml_api_calls", 0))
        for schema, numbers in (latest.per_tenant or {}).items()
    }
    return Business(
        day=latest.day,
        active_tenants=active,
        tenants_total=latest.tenants_total,
        mrr_cents=latest.mrr_cents,
        arr_cents=latest.arr_cents,
        past_due_mrr_cents=latest.past_due_mrr_cents,
        ml_api_calls=latest.ml_api_calls,
        calls_per_tenant=latest.ml_api_calls / active if active else None,
        top_tenants=sorted(calls.items(), key=lambda item: -item[1])[:10],
        compared_with=earlier.day if earlier else None,
        active_growth=_growth(
            active, int(earlier.tenants_by_status.get("active", 0)) if earlier else None
        ),
        mrr_growth=_growth(latest.mrr_cents, earlier.mrr_cents if earlier else None),
    )
