"""Stripe webhook ingest under load, the same method as the ML webhook benchmark.

Phase 1, 60 s each at a fixed 200 requests/s (open loop): ``POST /api/webhook/stripe`` with a
distinct, freshly signed event per request (the signature check runs for real), then
``GET /api/ping`` (a bare JSON view on the same server, the baseline). Every accepted event
must be in the inbox afterwards. Phase 2, 15 s each, closed loop: the highest throughput of each.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import platform
import time
from collections.abc import Callable
from typing import Any

import redis
from django.conf import settings
from django.db import connection, connections
from django.test.utils import setup_databases, teardown_databases

from bench.loadgen import at_rate, build_request, saturate
from bench.server import free_port, serve
from billing.models import StripeEvent

RATE = 200
SECONDS = int(os.environ.get("BENCH_SECONDS", "60"))
SATURATE_SECONDS = 15
WORKERS = int(os.environ.get("WEB_CONCURRENCY", "2"))
THREADS = int(os.environ.get("BENCH_THREADS", "4"))
SECRET = "whsec_bench_" + "x" * 24


def _event(prefix: str) -> Callable[[int], bytes]:
    def make(index: int) -> bytes:
        body = json.dumps(
            {
                "id": f"evt_{prefix}_{index}",
                "object": "event",
                "api_version": "2026-10-28.endive",
                "created": int(time.time()),
                "livemode": False,
                "pending_webhooks": 1,
                "request": {"id": None, "idempotency_key": None},
                "type": "invoice.paid",
                "data": {
                    "object": {
                        "id": f"in_{prefix}_{index}",
                        "object": "invoice",
                        "customer": "cus_bench",
                        "subscription": "sub_bench",
                        "status": "paid",
                        "amount_paid": 14900,
                        "currency": "brl",
                        "lines": {"object": "list", "data": [], "has_more": False},
                    }
                },
            }
        ).encode()
        timestamp = int(time.time())
        digest = hmac.new(SECRET.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
        head = (
            f"POST /api/webhook/stripe HTTP/1.1\r\nHost: localhost\r\nConnection: keep-alive\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
            f"Stripe-Signature: t={timestamp},v1={digest.hexdigest()}\r\n\r\n"
        )
        return head.encode() + body

    return make


def run() -> dict[str, Any]:
    settings.DATABASES["default"]["TEST"]["NAME"] = "bench_peepers"
    config = setup_databases(verbosity=0, interactive=False, aliases={"default": connection})
    port = free_port()
    server = serve(
        port,
        workers=WORKERS,
        threads=THREADS,
        STRIPE_SECRET_KEY="sk_test_bench",  # noqa: S106 - a test-mode key for the emulator
        STRIPE_WEBHOOK_SECRET=SECRET,
    )
    address = ("127.0.0.1", port)
    ping = build_request("GET", "localhost", "/api/ping")
    try:
        saturate(address, _event("warmup"), seconds=2, connections=WORKERS * 2)
        saturate(address, lambda _: ping, seconds=1, connections=WORKERS * 2)

        webhook = at_rate(address, _event("fixed"), rate=RATE, seconds=SECONDS)
        time.sleep(2)
        stored = StripeEvent.objects.filter(event_id__startswith="evt_fixed_").count()
        bare = at_rate(address, lambda _: ping, rate=RATE, seconds=SECONDS)
        webhook_max = saturate(address, _event("max"), seconds=SATURATE_SECONDS)
        bare_max = saturate(address, lambda _: ping, seconds=SATURATE_SECONDS)

        accepted = webhook.statuses.get(200, 0)
        p99 = webhook.percentile_ms(0.99)
        return {
            "benchmark": "stripe_webhook_ingest",
            "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
            "server": f"gunicorn gthread, {WORKERS} workers x {THREADS} threads, production",
            "fixed_rate": {
                "rate_rps": RATE,
                "seconds": SECONDS,
                "webhook": webhook.summary(),
                "bare_view": bare.summary(),
                "p99_over_bare_p99": round(p99 / max(0.001, bare.percentile_ms(0.99)), 2),
                "sent": int(RATE * SECONDS),
                "accepted": accepted,
                "in_inbox": stored,
                "lost": accepted - stored,
            },
            "saturation": {
                "seconds": SATURATE_SECONDS,
                "webhook": webhook_max.summary(),
                "bare_view": bare_max.summary(),
                "webhook_over_bare": round(
                    webhook_max.throughput / max(1.0, bare_max.throughput), 2
                ),
            },
            "targets": {
                "p99_under_50_ms": p99 < 50,
                "zero_lost": accepted == stored and accepted == int(RATE * SECONDS),
            },
        }
    finally:
        server.terminate()
        server.wait(30)
        connections.close_all()
        teardown_databases(config, verbosity=0)
        # The events' processing tasks went to the benchmark's broker database: drop them.
        redis.Redis.from_url(settings.REDIS_URL).flushdb()
