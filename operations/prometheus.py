"""``GET /metrics``: the running totals in Prometheus' text format, behind a bearer token.

Every process adds to the same Redis totals, so any gunicorn worker answers with the whole
picture (the multiprocess problem prometheus-client solves with files does not arise).
Counters are ``peepers_<name>_total``; latencies are histograms ``peepers_<name>_ms``.
"""

from __future__ import annotations

import hmac
import re

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from core.metrics import LATENCY_BUCKETS_MS, metric_gauge_values, metric_totals

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
_NAME = re.compile(r"[^a-zA-Z0-9_]")


def _value(text: str) -> str:
    return text.replace("\\", "").replace('"', "").replace("\n", " ")


def _labels(text: str, extra: str = "") -> str:
    pairs = [] if text in ("", "-") else [p.split("=", 1) for p in text.split(",") if "=" in p]
    rendered = [
        f'{_NAME.sub("_", k)}="{v.replace(chr(92), "").replace(chr(34), "")}"' for k, v in pairs
    ]
    if extra:
        rendered.append(extra)
    return "{" + ",".join(rendered) + "}" if rendered else ""


def exposition(
    totals: dict[str, dict[str, float]], gauges: dict[str, dict[str, float]] | None = None
) -> str:
    lines: list[str] = []
    for name in sorted(gauges or {}):
        metric = "peepers_" + _NAME.sub("_", name)
        lines.append(f"# TYPE {metric} gauge")
        for labels, value in sorted((gauges or {})[name].items()):
            lines.append(f"{metric}{_labels(labels)} {value:g}")
    for name in sorted(totals):
        fields = totals[name]
        metric = "peepers_" + _NAME.sub("_", name)
        if any("|" in field for field in fields):
            lines.append(f"# TYPE {metric}_ms histogram")
            series = sorted({field.split("|", 1)[0] for field in fields})
            for labels in series:
                running = 0.0
                for bound in LATENCY_BUCKETS_MS:
                    running += fields.get(f"{labels}|le_{bound}", 0.0)
                    le = 'le="' + str(bound) + '"'
                    lines.append(f"{metric}_ms_bucket{_labels(labels, le)} {running:g}")
                count = fields.get(f"{labels}|count", 0.0)
                total = fields.get(f"{labels}|sum_ms", 0.0)
                inf = 'le="+Inf"'
                lines.append(f"{metric}_ms_bucket{_labels(labels, inf)} {count:g}")
                lines.append(f"{metric}_ms_sum{_labels(labels)} {total:g}")
                lines.append(f"{metric}_ms_count{_labels(labels)} {count:g}")
        else:
            lines.append(f"# TYPE {metric}_total counter")
            for labels in sorted(fields):
                lines.append(f"{metric}_total{_labels(labels)} {fields[labels]:g}")
    return "\n".join(lines) + "\n"


@require_GET
def metrics_view(request: HttpRequest) -> HttpResponse:
    token = settings.METRICS_TOKEN
    if not token:
        return HttpResponse("set METRICS_TOKEN to enable /metrics\n", status=404)
    given = request.META.get("HTTP_AUTHORIZATION", "").removeprefix("Bearer ").strip()
    if not hmac.compare_digest(given, token):
        return HttpResponse("a bearer token is required\n", status=401)
    return HttpResponse(
        exposition(metric_totals(), metric_gauge_values()), content_type=CONTENT_TYPE
    )
