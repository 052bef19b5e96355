"""What a rule's subject means: which metric, over which window, in which unit.

Each subject reads the per-minute metrics (Redis for windows up to three hours, the PostgreSQL
rollups beyond) and answers a ``Reading`` per scope. A reading with fewer samples than a rule's
``min_samples`` is unknown: an alert never calls "ok" what it did not measure.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Sum

from compliance.models import ComplianceReport
from core.metrics import LATENCY_BUCKETS_MS, metric_read
from core.tasks import queue_depths
from operations.models import MetricMinute

REDIS_WINDOW_LIMIT_SECONDS = 3 * 3600
GLOBAL = ""


@dataclass(frozen=True)
class Reading:
    value: float | None  # None: nothing was measured
    samples: int
    detail: str = ""


Readings = dict[str, Reading]  # scope value ("" when global) -> reading
Reader = Callable[[datetime, int, str], Readings]  # (now, window seconds, scope kind)


@dataclass(frozen=True)
class Source:
    subject: str
    unit: str  # "ms", "%" or "" (a count)
    description: str
    read: Reader
    scopes: tuple[str, ...] = ()
    streak: str | None = None  # metric whose consecutive-slow streak "N consecutive" counts
    streak_bound: float = 0.0
    prometheus: str = ""  # the PromQL expression of the value, for the generated rules


def _labels(field: str) -> dict[str, str]:
    text = field.split("|", 1)[0]
    if text in ("", "-"):
        return {}
    return dict(part.split("=", 1) for part in text.split(",") if "=" in part)


def window_fields(name: str, now: datetime, window_seconds: int) -> dict[str, float]:
    """A metric's fields summed over the window ending at ``now``."""
    minutes = max(1, math.ceil(window_seconds / 60))
    if window_seconds <= REDIS_WINDOW_LIMIT_SECONDS:
        return metric_read(name, minutes=minutes, now=now.timestamp())

    rows = (
        MetricMinute.objects.filter(
            name=name, minute__gt=now - timedelta(minutes=minutes), minute__lte=now
        )
        .values("field")
        .annotate(total=Sum("value"))
    )
    return {row["field"]: float(row["total"]) for row in rows}


def _group(fields: dict[str, float], scope: str) -> dict[str, dict[str, float]]:
    """Fields split by the scope label's value ("" for everything when global)."""
    if not scope or scope == "global":
        return {GLOBAL: fields}
    grouped: dict[str, dict[str, float]] = defaultdict(dict)
    for field, value in fields.items():
        key = _labels(field).get(scope)
        if key is not None:
            grouped[key][field] = value
    return dict(grouped)


def _everything(labels: dict[str, str]) -> bool:
    return True


def _share(
    name: str,
    *,
    good: Callable[[dict[str, str]], bool],
    label: str,
    where: Callable[[dict[str, str]], bool] = _everything,
) -> Reader:
    """Percentage of a counter's samples (those ``where`` selects) whose labels are ``good``."""

    def read(now: datetime, window: int, scope: str) -> Readings:
        readings = {}
        for key, fields in _group(window_fields(name, now, window), scope).items():
            total = hits = 0.0
            for field, value in fields.items():
                if "|" in field and not field.endswith("|count"):
                    continue
                labels = _labels(field)
                if not where(labels):
                    continue
                total += value
                if good(labels):
                    hits += value
            if not total:
                readings[key] = Reading(None, 0, f"no {name} samples")
            else:
                readings[key] = Reading(
                    hits / total * 100, int(total), f"{hits:g} of {total:g} {label}"
                )
        return readings or {GLOBAL: Reading(None, 0, f"no {name} samples")}

    return read


def _p95(name: str, *, where: Callable[[dict[str, str]], bool] = _everything) -> Reader:
    """The bucket bound (ms) under which 95% of a histogram's samples fall."""

    def read(now: datetime, window: int, scope: str) -> Readings:
        fields = {f: v for f, v in window_fields(name, now, window).items() if where(_labels(f))}
        total = sum(v for f, v in fields.items() if f.endswith("|count"))
        if not total:
            return {GLOBAL: Reading(None, 0, f"no {name} samples")}
        seen = 0.0
        for bound in LATENCY_BUCKETS_MS:
            seen += sum(v for f, v in fields.items() if f.endswith(f"|le_{bound}"))
            if seen >= 0.95 * total:
                return {GLOBAL: Reading(float(bound), int(total), f"p95 ≤ {bound} ms")}
        return {GLOBAL: Reading(math.inf, int(total), f"p95 above {LATENCY_BUCKETS_MS[-1]} ms")}

    return read


def _connection_errors(now: datetime, window: int, scope: str) -> Readings:
    probes = window_fields("health_probe", now, window)
    db_probes = {f: v for f, v in probes.items() if _labels(f).get("check") == "database"}
    down = sum(v for f, v in db_probes.items() if _labels(f).get("outcome") == "down")
    errors = sum(window_fields("db_connection_errors", now, window).values())
    samples = int(sum(db_probes.values()) + errors)
    if not samples:
        return {GLOBAL: Reading(None, 0, "no database probe in the window")}
    return {
        GLOBAL: Reading(
            down + errors, samples, f"{down:g} failed probes, {errors:g} errors in requests"
        )
    }


def _rate_limit_usage(now: datetime, window: int, scope: str) -> Readings:
    fields = window_fields("ml_api_calls", now, window)
    calls = sum(fields.values())
    if not calls:
        return {GLOBAL: Reading(None, 0, "no Mercado Livre calls in the window")}
    per_minute = calls / max(1.0, window / 60)
    limit = float(settings.ML_RATE_LIMIT_PER_MINUTE)
    return {
        GLOBAL: Reading(
            per_minute / limit * 100,
            int(calls),
            f"{per_minute:.1f} calls/min of {limit:g}/min",
        )
    }


def _oauth_success(now: datetime, window: int, scope: str) -> Readings:
    fields = window_fields("ml_oauth_flow", now, window)
    started = fields.get("outcome=started", 0.0)
    if not started:
        return {GLOBAL: Reading(None, 0, "no OAuth flow started")}
    connected = fields.get("outcome=connected", 0.0)
    return {
        GLOBAL: Reading(
            min(100.0, connected / started * 100),
            int(started),
            f"{connected:g} connected of {started:g} started",
        )
    }


def _queue_depth(now: datetime, window: int, scope: str) -> Readings:

    depths = queue_depths()
    if depths is None:
        return {GLOBAL: Reading(None, 0, "the broker did not answer")}
    if scope == "queue":
        return {queue: Reading(float(n), 1, f"{n} waiting") for queue, n in depths.items()}
    deepest = max(depths, key=lambda q: depths[q])
    return {
        GLOBAL: Reading(float(depths[deepest]), 1, ", ".join(f"{q} {n}" for q, n in depths.items()))
    }


def _checklist_failures(now: datetime, window: int, scope: str) -> Readings:

    report = ComplianceReport.objects.order_by("-created_at").first()
    if report is None:
        return {GLOBAL: Reading(None, 0, "no compliance report has run yet")}
    results = report.results or []
    failing = [r for r in results if r.get("outcome") == "fail"]
    stamp = f"report of {report.created_at:%Y-%m-%d %H:%M} UTC"
    if scope == "item":
        return {
            f"{r['checklist']}: {r['item']}"[:200]: Reading(
                1.0 if r.get("outcome") == "fail" else 0.0,
                1,
                f"{r.get('outcome')}: {r.get('evidence', '')}"[:500] + f" ({stamp})",
            )
            for r in results
            if r.get("outcome") in ("pass", "fail")
        }
    return {
        GLOBAL: Reading(
            float(len(failing)), len(results), f"{len(failing)} failing items ({stamp})"
        )
    }


_ML_DOWN = ("5xx", "timeout", "error")

SOURCES: dict[str, Source] = {
    source.subject: source
    for source in (
        Source(
            "response_time",
            "ms",
            "Mercado Livre webhook acknowledgement time (p95 over the window; "
            "'N consecutive' counts answers in a row slower than 500 ms)",
            _p95("ml_webhook_ack"),
            streak="ml_webhook_ack",
            streak_bound=500.0,
            prometheus=(
                "histogram_quantile(0.95, sum by (le) "
                "(rate(peepers_ml_webhook_ack_ms_bucket[{w}])))"
            ),
        ),
        Source(
            "webhook_p95",
            "ms",
            "Mercado Livre webhook acknowledgement time, p95",
            _p95("ml_webhook_ack"),
            prometheus=(
                "histogram_quantile(0.95, sum by (le) "
                "(rate(peepers_ml_webhook_ack_ms_bucket[{w}])))"
            ),
        ),
        Source(
            "5xx_responses",
            "%",
            "share of Mercado Livre API calls answered 5xx, timed out or unreachable",
            _share(
                "ml_api_calls",
                good=lambda labels: labels.get("status") in _ML_DOWN,
                label="calls failed",
            ),
            scopes=("tenant",),
            prometheus=(
                "100 * "
                'sum(rate(peepers_ml_api_calls_total{{status=~"5xx|timeout|error"}}[{w}])) / '
                "sum(rate(peepers_ml_api_calls_total[{w}]))"
            ),
        ),
        Source(
            "401_errors",
            "%",
            "share of Mercado Livre API calls answered 401 (token rejected)",
            _share(
                "ml_api_calls", good=lambda labels: labels.get("status") == "401", label="calls 401"
            ),
            scopes=("tenant",),
            prometheus=(
                '100 * sum(rate(peepers_ml_api_calls_total{{status="401"}}[{w}])) / '
                "sum(rate(peepers_ml_api_calls_total[{w}]))"
            ),
        ),
        Source(
            "429_responses",
            "%",
            "share of Mercado Livre API calls answered 429 (rate limited)",
            _share(
                "ml_api_calls", good=lambda labels: labels.get("status") == "429", label="calls 429"
            ),
            scopes=("tenant",),
            prometheus=(
                '100 * sum(rate(peepers_ml_api_calls_total{{status="429"}}[{w}])) / '
                "sum(rate(peepers_ml_api_calls_total[{w}]))"
            ),
        ),
        Source(
            "connection_errors",
            "",
            "database connection failures: failed probes plus errors in requests",
            _connection_errors,
            prometheus=(
                "(sum(increase(peepers_health_probe_total"
                '{{check="database",outcome="down"}}[{w}])) or vector(0)) + '
                "(sum(increase(peepers_db_connection_errors_total[{w}])) or vector(0))"
            ),
        ),
        Source(
            "api_p95",
            "ms",
            "REST API response time, p95",
            _p95("http_request", where=lambda labels: labels.get("class") == "api"),
            prometheus=(
                "histogram_quantile(0.95, sum by (le) "
                '(rate(peepers_http_request_ms_bucket{{class="api"}}[{w}])))'
            ),
        ),
        Source(
            "error_rate",
            "%",
            "share of requests (staff admin aside) answered 5xx",
            _share(
                "http_request",
                good=lambda labels: labels.get("status") == "5xx",
                label="requests 5xx",
                where=lambda labels: labels.get("class") != "admin",
            ),
            prometheus=(
                "100 * "
                'sum(rate(peepers_http_request_ms_count{{status="5xx",class!="admin"}}[{w}])) '
                '/ sum(rate(peepers_http_request_ms_count{{class!="admin"}}[{w}]))'
            ),
        ),
        Source(
            "uptime",
            "%",
            "share of health probes (database, Redis, broker, migrations) that passed",
            _share(
                "health_probe",
                good=lambda labels: labels.get("outcome") == "up",
                label="probes up",
                where=lambda labels: labels.get("check") == "all",
            ),
            prometheus=(
                "100 * "
                'sum(increase(peepers_health_probe_total{{check="all",outcome="up"}}[{w}])) / '
                'sum(increase(peepers_health_probe_total{{check="all"}}[{w}]))'
            ),
        ),
        Source(
            "rate_limit_usage",
            "%",
            "Mercado Livre calls per minute against ML_RATE_LIMIT_PER_MINUTE",
            _rate_limit_usage,
            prometheus="100 * sum(rate(peepers_ml_api_calls_total[{w}])) * 60 / {ml_limit}",
        ),
        Source(
            "token_refresh_success",
            "%",
            "share of token refreshes that succeeded",
            _share(
                "ml_token_refresh",
                good=lambda labels: labels.get("outcome") == "success",
                label="refreshes succeeded",
            ),
            prometheus=(
                '100 * sum(increase(peepers_ml_token_refresh_total{{outcome="success"}}[{w}])) '
                "/ sum(increase(peepers_ml_token_refresh_total[{w}]))"
            ),
        ),
        Source(
            "webhook_delivery",
            "%",
            "share of Mercado Livre notifications stored (accepted or duplicate)",
            _share(
                "ml_webhook",
                good=lambda labels: labels.get("outcome") in ("accepted", "duplicate"),
                label="notifications stored",
            ),
            prometheus=(
                "100 * "
                'sum(increase(peepers_ml_webhook_total{{outcome=~"accepted|duplicate"}}[{w}])) '
                "/ sum(increase(peepers_ml_webhook_total[{w}]))"
            ),
        ),
        Source(
            "oauth_success",
            "%",
            "Mercado Livre connections completed of those started",
            _oauth_success,
            prometheus=(
                '100 * sum(increase(peepers_ml_oauth_flow_total{{outcome="connected"}}[{w}])) '
                '/ sum(increase(peepers_ml_oauth_flow_total{{outcome="started"}}[{w}]))'
            ),
        ),
        Source(
            "queue_depth",
            "",
            "tasks waiting in the deepest Celery queue",
            _queue_depth,
            scopes=("queue",),
            prometheus="max(peepers_queue_depth)",
        ),
        Source(
            "task_failures",
            "%",
            "share of Celery task runs that failed",
            _share(
                "celery_tasks",
                good=lambda labels: labels.get("outcome") == "failure",
                label="task runs failed",
            ),
            prometheus=(
                '100 * sum(increase(peepers_celery_tasks_total{{outcome="failure"}}[{w}])) / '
                "sum(increase(peepers_celery_tasks_total[{w}]))"
            ),
        ),
        Source(
            "checklist_failures",
            "",
            "failing items in the latest compliance report",
            _checklist_failures,
            scopes=("item",),
        ),
    )
}
