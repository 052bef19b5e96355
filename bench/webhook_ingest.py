"""Webhook ingest under load: gunicorn with production settings, a load generator on loopback.

Phase 1, 60 s each at a fixed 500 requests/s (open loop): ``POST /api/webhook/mercado-livre``
with a distinct notification per request, then ``GET /api/ping`` (the liveness probe on the same
server, the ceiling: answered by the probe middleware before host routing, sessions and CSRF,
which the webhook goes through). Every accepted notification must be in the inbox afterwards.
Phase 2, 15 s each, closed loop: the highest throughput of each; the webhook should reach at
least half of the bare view's.
"""

from __future__ import annotations

import json
import os
import platform
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import redis
from django.conf import settings
from django.db import connection, connections
from django.test.utils import setup_databases, teardown_databases

from bench.loadgen import at_rate, build_request, saturate
from bench.server import free_port, serve
from integrations.models import MLNotification

RATE = 500
SECONDS = int(os.environ.get("BENCH_SECONDS", "60"))
SATURATE_SECONDS = 15
WORKERS = int(os.environ.get("WEB_CONCURRENCY", "2"))
THREADS = int(os.environ.get("BENCH_THREADS", "4"))
BASE_DIR = Path(settings.BASE_DIR)


def _notification(prefix: str) -> Callable[[int], bytes]:
    def make(index: int) -> bytes:
        body = json.dumps(
            {
                "_id": f"{prefix}-{index}",
                "resource": f"/orders/{2000010000000000 + index}",
                "user_id": 2050442871,
                "topic": "orders_v2",
                "application_id": settings.ML_CLIENT_ID,
                "attempts": 1,
                "sent": "2026-11-27T10:00:00.000Z",
                "received": "2026-11-27T10:00:00.000Z",
            }
        ).encode()
        return build_request("POST", "localhost", "/api/webhook/mercado-livre", body)

    return make


def run() -> dict[str, Any]:
    settings.DATABASES["default"]["TEST"]["NAME"] = "bench_peepers"
    config = setup_databases(verbosity=0, interactive=False, aliases={"default": connection})
    port = free_port()
    server = serve(port, workers=WORKERS, threads=THREADS)
    address = ("127.0.0.1", port)
    ping = build_request("GET", "localhost", "/api/ping")
    try:
        # Warm every worker: imports, URLconfs, database connections.
        saturate(address, _notification("warmup"), seconds=2, connections=WORKERS * 2)
        saturate(address, lambda _: ping, seconds=1, connections=WORKERS * 2)

        webhook = at_rate(address, _notification("fixed"), rate=RATE, seconds=SECONDS)
        time.sleep(2)
        stored = MLNotification.objects.filter(dedup_key__startswith="ml:fixed-").count()
        bare = at_rate(address, lambda _: ping, rate=RATE, seconds=SECONDS)
        webhook_max = saturate(address, _notification("max"), seconds=SATURATE_SECONDS)
        bare_max = saturate(address, lambda _: ping, seconds=SATURATE_SECONDS)

        webhook_summary = webhook.summary()
        accepted = webhook.statuses.get(200, 0)
        ratio = webhook_max.throughput / max(1.0, bare_max.throughput)
        return {
            "benchmark": "webhook_ingest",
            "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
            "server": f"gunicorn gthread, {WORKERS} workers x {THREADS} threads, production",
            "fixed_rate": {
                "rate_rps": RATE,
                "seconds": SECONDS,
                "webhook": webhook_summary,
                "bare_view": bare.summary(),
                "sent": int(RATE * SECONDS),
                "accepted": accepted,
                "in_inbox": stored,
                "lost": accepted - stored,
            },
            "saturation": {
                "seconds": SATURATE_SECONDS,
                "webhook": webhook_max.summary(),
                "bare_view": bare_max.summary(),
                "webhook_over_bare": round(ratio, 2),
            },
            "targets": {
                "p99_under_50_ms": webhook.percentile_ms(0.99) < 50,
                "zero_lost": accepted == stored and accepted == int(RATE * SECONDS),
                "webhook_at_least_half_of_bare": ratio >= 0.5,
            },
        }
    finally:
        server.terminate()
        server.wait(30)
        connections.close_all()
        teardown_databases(config, verbosity=0)
        # The notifications' tasks went to the benchmark's broker database: drop them.
        redis.Redis.from_url(settings.REDIS_URL).flushdb()
