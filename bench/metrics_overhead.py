"""What the request metrics cost: the same endpoint served with and without them, in one run.

Two gunicorn servers run side by side on the benchmark's database, identical but for
``PEEPERS_REQUEST_METRICS=0`` on one (no ``RequestMetricsMiddleware``, so no recording and no
flush thread for it). Both serve ``GET /api/ping`` through the full middleware stack: the
cheapest page there is, touching no database, so the fixed per-request cost of the metrics is
the largest share it can be. Rounds alternate between the two servers (and which goes first)
so drift in the machine hits both alike: latency at a fixed rate (open loop), then throughput
at saturation (closed loop). Each pair of rounds runs back to back; the targets are judged on the
median over the pairs (under 0.3 ms added at the median, under 5% throughput lost), which a burst
of other load on the machine during one round cannot swing. Pooled figures are reported too.
"""

from __future__ import annotations

import os
import platform
import statistics
from typing import Any

import redis
from django.conf import settings
from django.db import connection, connections
from django.test.utils import setup_databases, teardown_databases

from bench.loadgen import Results, at_rate, build_request, saturate
from bench.server import free_port, serve

RATE = 200
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "6"))
ROUND_SECONDS = int(os.environ.get("BENCH_SECONDS", "10"))
SATURATE_ROUNDS = 6
SATURATE_SECONDS = 5
WORKERS = int(os.environ.get("WEB_CONCURRENCY", "2"))
THREADS = int(os.environ.get("BENCH_THREADS", "4"))
PATH = "/api/ping"


def _pooled(rounds: list[Results]) -> Results:
    pooled = Results()
    for result in rounds:
        pooled.latencies.extend(result.latencies)
        pooled.errors += result.errors
        pooled.elapsed += result.elapsed
        for status, count in result.statuses.items():
            pooled.statuses[status] = pooled.statuses.get(status, 0) + count
    return pooled


def run() -> dict[str, Any]:
    settings.DATABASES["default"]["TEST"]["NAME"] = "bench_peepers"
    config = setup_databases(verbosity=0, interactive=False, aliases={"default": connection})
    ports = {"with_metrics": free_port(), "without_metrics": free_port()}
    servers = {
        "with_metrics": serve(ports["with_metrics"], workers=WORKERS, threads=THREADS),
        "without_metrics": serve(
            ports["without_metrics"], workers=WORKERS, threads=THREADS, PEEPERS_REQUEST_METRICS="0"
        ),
    }
    request = build_request("GET", "localhost", PATH)
    fixed: dict[str, list[Results]] = {name: [] for name in servers}
    peak: dict[str, list[Results]] = {name: [] for name in servers}
    try:
        for name in servers:
            saturate(("127.0.0.1", ports[name]), lambda _: request, seconds=3, connections=8)
        for index in range(ROUNDS):
            order = list(servers) if index % 2 == 0 else list(reversed(servers))
            for name in order:
                fixed[name].append(
                    at_rate(
                        ("127.0.0.1", ports[name]),
                        lambda _: request,
                        rate=RATE,
                        seconds=ROUND_SECONDS,
                    )
                )
        for index in range(SATURATE_ROUNDS):
            order = list(servers) if index % 2 == 0 else list(reversed(servers))
            for name in order:
                peak[name].append(
                    saturate(
                        ("127.0.0.1", ports[name]), lambda _: request, seconds=SATURATE_SECONDS
                    )
                )
    finally:
        for process in servers.values():
            process.terminate()
        for process in servers.values():
            process.wait(30)
        connections.close_all()
        teardown_databases(config, verbosity=0)
        # The recorded metrics went to the benchmark's Redis database: drop them.
        redis.Redis.from_url(settings.REDIS_URL).flushdb()

    latency = {name: _pooled(rounds) for name, rounds in fixed.items()}
    p50 = {name: result.percentile_ms(0.50) for name, result in latency.items()}
    # Paired by round: each round's two medians were measured next to each other.
    paired = [
        round(a.percentile_ms(0.5) - b.percentile_ms(0.5), 3)
        for a, b in zip(fixed["with_metrics"], fixed["without_metrics"], strict=True)
    ]
    throughput = {
        name: round(sum(len(r.latencies) for r in rounds) / sum(r.elapsed for r in rounds), 1)
        for name, rounds in peak.items()
    }
    ratios = [
        round(a.throughput / max(1.0, b.throughput), 3)
        for a, b in zip(peak["with_metrics"], peak["without_metrics"], strict=True)
    ]
    added_ms = round(statistics.median(paired), 3)
    ratio = round(statistics.median(ratios), 3)
    errors = sum(
        result.errors + sum(n for status, n in result.statuses.items() if status >= 400)
        for rounds in (*fixed.values(), *peak.values())
        for result in rounds
    )
    return {
        "benchmark": "metrics_overhead",
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "server": f"gunicorn gthread, {WORKERS} workers x {THREADS} threads, production, "
        "two servers side by side (PEEPERS_REQUEST_METRICS on / off)",
        "endpoint": f"GET {PATH} (full middleware stack, no database)",
        "fixed_rate": {
            "rate_rps": RATE,
            "rounds": ROUNDS,
            "seconds_per_round": ROUND_SECONDS,
            "with_metrics": latency["with_metrics"].summary(),
            "without_metrics": latency["without_metrics"].summary(),
            "added_ms_at_median": added_ms,
            "added_ms_at_median_pooled": round(p50["with_metrics"] - p50["without_metrics"], 3),
            "added_ms_at_p95_pooled": round(
                latency["with_metrics"].percentile_ms(0.95)
                - latency["without_metrics"].percentile_ms(0.95),
                3,
            ),
            "added_ms_at_median_per_round": paired,
        },
        "saturation": {
            "rounds": SATURATE_ROUNDS,
            "seconds_per_round": SATURATE_SECONDS,
            "with_metrics_rps": throughput["with_metrics"],
            "without_metrics_rps": throughput["without_metrics"],
            "per_round_rps": {
                name: [round(r.throughput, 1) for r in rounds] for name, rounds in peak.items()
            },
            "with_over_without_per_round": ratios,
            "with_over_without": ratio,
            "with_over_without_pooled": round(
                throughput["with_metrics"] / max(1.0, throughput["without_metrics"]), 3
            ),
        },
        "errors": errors,
        "targets": {
            "median_added_under_0_3_ms": added_ms < 0.3,
            "throughput_loss_under_5_percent": ratio >= 0.95,
        },
        "target_met": errors == 0 and added_ms < 0.3 and ratio >= 0.95,
    }
