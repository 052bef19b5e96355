"""The runbook's KPI table, computed from the metric rollups: value, target, and trend.

Each KPI reads one metric over a window (default the last hour) and the window before it for the
trend. A KPI with no samples in the window is "no data", one with fewer than its minimum is "not
enough data", never a made-up number or verdict. Percentiles are estimated within their
histogram bucket by linear interpolation (as Prometheus' ``histogram_quantile``), not read as the
bucket's upper bound.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db.models import Sum
from django.utils import timezone

from core.metrics import LATENCY_BUCKETS_MS
from operations.maintenance.models import DailySnapshot
from operations.models import MetricMinute


def metric_fields(name: str, start: datetime, end: datetime) -> dict[str, float]:
    """A metric's fields summed over the rollup minutes in ``[start, end)``."""
    rows = (
        MetricMinute.objects.filter(name=name, minute__gte=start, minute__lt=end)
        .values("field")
        .annotate(total=Sum("value"))
    )
    return {row["field"]: float(row["total"]) for row in rows}


@dataclass(frozen=True)
class Quantile:
    """A quantile estimated from a bucketed histogram: ``value`` is interpolated linearly
    inside the bucket it falls in (``lower``-``upper`` ms), as Prometheus' histogram_quantile
    does; ``inf`` when it lies above the last bound (then ``lower`` is that bound)."""

    value: float
    lower: float
    upper: float
    samples: int


def histogram_quantile(
    q: float, fields: dict[str, float], *, label_filter: str = ""
) -> Quantile | None:
    """The ``q`` quantile (0 < q < 1) of a latency histogram's per-bucket fields
    (``labels|le_<bound>``, ``labels|count``); None without samples."""
    if not 0 < q < 1:
        raise ValueError(f"quantile must be between 0 and 1, not {q}")
    selected = {k: v for k, v in fields.items() if label_filter in k.split("|")[0]}
    total = sum(v for k, v in selected.items() if k.endswith("|count"))
    if not total:
        return None
    rank = q * total
    seen, lower = 0.0, 0.0
    for bound in LATENCY_BUCKETS_MS:
        in_bucket = sum(v for k, v in selected.items() if k.endswith(f"|le_{bound}"))
        if in_bucket and seen + in_bucket >= rank:
            value = lower + (bound - lower) * (rank - seen) / in_bucket
            return Quantile(value=value, lower=lower, upper=float(bound), samples=int(total))
        seen += in_bucket
        lower = float(bound)
    return Quantile(value=float("inf"), lower=lower, upper=float("inf"), samples=int(total))


def histogram_p95(fields: dict[str, float], *, label_filter: str = "") -> float | None:
    """The 95th percentile (ms) of a latency histogram, interpolated within its bucket."""
    found = histogram_quantile(0.95, fields, label_filter=label_filter)
    return None if found is None else found.value


@dataclass(frozen=True)
class Measure:
    """A KPI's value over a window and how many samples it comes from; for a percentile, the
    bucket (ms) its estimate lies in."""

    value: float
    samples: int
    bucket: tuple[float, float] | None = None


def _ratio(fields: dict[str, float], good: Callable[[str], bool]) -> Measure | None:
    counts = {k: v for k, v in fields.items() if k.endswith("|count") or "|" not in k}
    total = sum(counts.values())
    if not total:
        return None
    share = sum(v for k, v in counts.items() if good(k)) / total
    return Measure(share * 100, int(total))


# The names the KPI definitions below were written with.
_fields = metric_fields

# Fewer samples than this say nothing about a percentile or a success rate (the 95th
# percentile of fewer than 20 samples is simply the slowest one): "not enough data".
MIN_SAMPLES = 20


@dataclass(frozen=True)
class Kpi:
    name: str
    target: str
    value: float | None  # None: no data, or not enough (``samples`` < ``min_samples``)
    previous: float | None
    unit: str
    met: bool | None
    samples: int = 0
    min_samples: int = 1
    bucket: tuple[float, float] | None = None  # a percentile's bucket (ms)

    @property
    def trend(self) -> str:
        if self.value is None or self.previous is None:
            return "—"
        if self.value == self.previous:
            return "→"
        return "↑" if self.value > self.previous else "↓"

    @property
    def shown(self) -> str:
        """The value as the page prints it: "no data", "not enough data (N of M samples)", a
        percentile with the bucket it was estimated in, or the number and unit."""
        if not self.samples:
            return "no data"
        if self.value is None:
            return f"not enough data ({self.samples} of {self.min_samples} samples)"
        if self.bucket is not None:
            lower, upper = self.bucket
            if upper == float("inf"):
                return f"> {lower:g} {self.unit} (above the last bucket)"
            return f"≈ {self.value:.0f} {self.unit} (in the {lower:g}-{upper:g} {self.unit} bucket)"
        return f"{self.value:.2f} {self.unit}"


@dataclass(frozen=True)
class _Definition:
    name: str
    target: str
    unit: str
    compute: Callable[[datetime, datetime], Measure | None]
    good: Callable[[float], bool]
    min_samples: int = MIN_SAMPLES


def _p95(fields: dict[str, float], *, label_filter: str = "") -> Measure | None:
    found = histogram_quantile(0.95, fields, label_filter=label_filter)
    if found is None:
        return None
    return Measure(found.value, found.samples, (found.lower, found.upper))


def _api_p95(start: datetime, end: datetime) -> Measure | None:
    return _p95(_fields("http_request", start, end), label_filter="class=api")


def _webhook_p95(start: datetime, end: datetime) -> Measure | None:
    return _p95(_fields("ml_webhook_ack", start, end))


def _error_rate(start: datetime, end: datetime) -> Measure | None:
    fields = {
        k: v for k, v in _fields("http_request", start, end).items() if "class=admin" not in k
    }
    return _ratio(fields, lambda k: "status=5xx" in k)


def _refresh_success(start: datetime, end: datetime) -> Measure | None:
    return _ratio(_fields("ml_token_refresh", start, end), lambda k: "outcome=success" in k)


def _webhook_delivery(start: datetime, end: datetime) -> Measure | None:
    fields = _fields("ml_webhook", start, end)
    return _ratio(fields, lambda k: "outcome=accepted" in k or "outcome=duplicate" in k)


def _oauth_success(start: datetime, end: datetime) -> Measure | None:
    fields = _fields("ml_oauth_flow", start, end)
    started = fields.get("outcome=started", 0.0)
    if not started:
        return None
    return Measure(min(100.0, fields.get("outcome=connected", 0.0) / started * 100), int(started))


def _uptime(start: datetime, end: datetime) -> Measure | None:
    """Health probes (evaluate_alerts, every 30 s) that found every dependency up."""
    fields = {k: v for k, v in _fields("health_probe", start, end).items() if "check=all" in k}
    return _ratio(fields, lambda k: "outcome=up" in k)


def _rate_limit_usage(start: datetime, end: datetime) -> Measure | None:
    """Mercado Livre calls per minute against the application's budget."""
    calls = sum(_fields("ml_api_calls", start, end).values())
    if not calls:
        return None
    minutes = max(1.0, (end - start).total_seconds() / 60)
    usage = float(calls / minutes / float(settings.ML_RATE_LIMIT_PER_MINUTE) * 100)
    return Measure(usage, int(calls))


KPIS = (
    _Definition("API response time (p95)", "< 500 ms", "ms", _api_p95, lambda v: v < 500),
    _Definition("Webhook processing (p95)", "< 500 ms", "ms", _webhook_p95, lambda v: v < 500),
    _Definition("Error rate", "< 1%", "%", _error_rate, lambda v: v < 1),
    _Definition("Uptime (health probes)", "> 99.9%", "%", _uptime, lambda v: v > 99.9),
    # A usage is a count against a budget, not a sample statistic: any call measures it.
    _Definition("Rate-limit usage", "< 80%", "%", _rate_limit_usage, lambda v: v < 80, 1),
    _Definition("Token refresh success", "> 99%", "%", _refresh_success, lambda v: v > 99),
    _Definition("Webhook delivery success", "> 99%", "%", _webhook_delivery, lambda v: v > 99),
    _Definition("OAuth flow success", "> 99%", "%", _oauth_success, lambda v: v > 99),
)


def _judged(definition: _Definition, measure: Measure | None) -> float | None:
    if measure is None or measure.samples < definition.min_samples:
        return None
    return measure.value


def kpi_table(*, minutes: int = 60, now: datetime | None = None) -> list[Kpi]:
    """Each KPI over the last ``minutes`` (and the window before it, for the trend); a KPI
    with fewer than its minimum samples has no value and no verdict."""
    end = now or timezone.now()
    start = end - timedelta(minutes=minutes)
    before = start - timedelta(minutes=minutes)
    table = []
    for definition in KPIS:
        measure = definition.compute(start, end)
        value = _judged(definition, measure)
        table.append(
            Kpi(
                name=definition.name,
                target=definition.target,
                value=value,
                previous=_judged(definition, definition.compute(before, start)),
                unit=definition.unit,
                met=None if value is None else definition.good(value),
                samples=measure.samples if measure else 0,
                min_samples=definition.min_samples,
                bucket=measure.bucket if measure and value is not None else None,
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
    # Connected Mercado Livre accounts (active, needs_reconnection, paused) and their stores.
    ml_accounts_by_status: dict[str, int] = field(default_factory=dict)
    stores_ml_connected: int = 0
    stores_several_ml_accounts: int = 0
    ml_accounts_growth: float | None = None

    @property
    def ml_accounts_total(self) -> int:
        return sum(self.ml_accounts_by_status.values())


def _growth(now: float, then: float | None) -> float | None:
    if then is None or not then:
        return None
    return (now - then) / then * 100


def business_kpis(*, days: int = 30) -> Business | None:
    """The latest snapshot against the one ``days`` earlier (or the oldest one after it);
    None before process_analytics has run once."""

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
        ml_accounts_by_status=dict(latest.ml_accounts_by_status or {}),
        stores_ml_connected=latest.stores_ml_connected,
        stores_several_ml_accounts=latest.stores_several_ml_accounts,
        ml_accounts_growth=_growth(
            sum((latest.ml_accounts_by_status or {}).values()),
            sum((earlier.ml_accounts_by_status or {}).values()) if earlier else None,
        ),
    )
