"""Request latency and status per endpoint class, recorded in the buffered Redis metrics.

Outermost in ``MIDDLEWARE``, so the time covers the whole stack. Webhooks go through the lean
handler and record their own acknowledgement latency (``ml_webhook_ack``, ``stripe_webhook_ack``).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from core.metrics import metric_observe


def endpoint_class(path: str) -> str:
    if path.startswith("/api/webhook/"):
        return "webhook"
    if path.startswith("/api/"):
        return "api"
    if path.startswith("/admin/"):
        return "admin"
    if path.startswith("/static/"):
        return "static"
    return "dashboard"


class RequestMetricsMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        kind = endpoint_class(request.path)
        if kind != "static":
            metric_observe(
                "http_request",
                {"class": kind, "status": f"{response.status_code // 100}xx"},
                (time.perf_counter() - started) * 1000,
            )
        return response
