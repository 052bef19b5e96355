"""The answer of an inbound-webhook receiver, counted and timed under the provider's metric."""

from __future__ import annotations

import time
from typing import Any

from django.http import JsonResponse

from core.metrics import metric_count, metric_observe


def webhook_answer(
    metric: str, http_status: int, outcome: str, started: float, **body: Any
) -> JsonResponse:
    """``body`` as JSON with ``http_status``; ``<metric>`` counts the outcome, ``<metric>_ack``
    times it from ``started`` (``time.perf_counter()`` when the request came in).

    A receiver binds its metric once: ``_answer = partial(webhook_answer, "stripe_webhook")``.
    """
    metric_count(metric, {"outcome": outcome})
    metric_observe(f"{metric}_ack", {"outcome": outcome}, (time.perf_counter() - started) * 1000)
    response = JsonResponse(body, status=http_status)
    # The lean stack has no CommonMiddleware to add it; without it HTTP/1.1 goes chunked.
    response["Content-Length"] = str(len(response.content))
    return response
