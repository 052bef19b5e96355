"""What the request metrics cost: the same endpoint served with and without them, in one run.

Two gunicorn servers run side by side on the benchmark's database, identical but for
``PEEPERS_REQUEST_METRICS=0`` on one (no ``RequestMetricsMiddleware``, so no recording and no flush
thread for it). Both serve ``GET /api/ping``, which the probe middleware answers just inside
``RequestMetricsMiddleware``: the cheapest request there is, touching no database, so the fixed
per-request cost of the metrics is the largest share it can be. Rounds alternate between the two
servers (and which goes first) so drift in the machine hits both alike: latency at a fixed rate
(open loop), then throughput at saturation (closed loop). Each pair of rounds runs back to back;
the targets are judged on the median over the pairs (under 0.3 ms added at the median, under 5%
throughput lost), which a burst of other load on the machine during one round cannot swing. Pooled
figures are reported too.

A cross-check less exposed to other processes: the same request through the two Django handlers
in this process, in alternating blocks, timed in CPU time (``time.process_time``); the throughput
target must hold on both measures.
"""

from __future__ import annotations

import io
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

import redis
from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler
from django.db import connection, connections
from django.test.utils import setup_databases, teardown_databases

from bench.loadgen import Results, at_rate, build_request, saturate
from bench.server import free_port, serve

RATE = 200
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "6"))
ROUND_SECONDS = int(os.environ.get("BENCH_SECONDS", "10"))
SATURATE_ROUNDS = 10
SATURATE_SECONDS = 3
CPU_PAIRS = 30
CPU_BLOCK_REQUESTS = 500
WORKERS = int(os.environ.get("WEB_CONCURRENCY", "2"))
THREADS = int(os.environ.get("BENCH_THREADS", "4"))
PATH = "/api/ping"
METRICS_MIDDLEWARE = "operations.middleware.RequestMetricsMiddleware"


class _WithoutMetrics(WSGIHandler):
    """The full handler minus the request metrics, as ``PEEPERS_REQUEST_METRICS=0`` builds it."""

    def load_middleware(self, is_async: bool = False) -> None:
        full = settings.MIDDLEWARE
        settings.MIDDLEWARE = [name for name in full if name != METRICS_MIDDLEWARE]
        try:
            super().load_middleware(is_async)
        finally:
            settings.MIDDLEWARE = full


def _environ() -> dict[str, Any]:
    return {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": PATH,
        "QUERY_STRING": "",
        "SCRIPT_NAME": "",
        "SERVER_NAME": "localhost",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": "localhost",
        "REMOTE_ADDR": "127.0.0.1",
        "CONTENT_LENGTH": "0",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.errors": sys.stderr,
        "wsgi.url_scheme": "http",
    }


def _cpu_per_request() -> dict[str, Any]:
    """CPU microseconds per request through each handler: blocks in alternating pairs."""
    handlers = {"with_metrics": WSGIHandler(), "without_metrics": _WithoutMetrics()}
    statuses: list[str] = []

    def start_response(
        status: str, headers: list[tuple[str, str]], exc_info: Any = None, /
    ) -> Callable[[bytes], object]:
        statuses.append(status)
        return lambda _: None

    def block(handler: WSGIHandler) -> float:
        started = time.process_time()
        for _ in range(CPU_BLOCK_REQUESTS):
            response = handler(_environ(), start_response)
            b"".join(response)
            response.close()
        return (time.process_time() - started) / CPU_BLOCK_REQUESTS * 1e6

    for handler in handlers.values():
        block(handler)  # warm-up
    spent: dict[str, list[float]] = {name: [] for name in handlers}
    for pair in range(CPU_PAIRS):
        order = list(handlers) if pair % 2 == 0 else list(reversed(handlers))
        for name in order:
            spent[name].append(block(handlers[name]))
    assert set(statuses) == {"200 OK"}, set(statuses)
    added = [a - b for a, b in zip(spent["with_metrics"], spent["without_metrics"], strict=True)]
    ratios = [b / a for a, b in zip(spent["with_metrics"], spent["without_metrics"], strict=True)]
    return {
        "pairs": CPU_PAIRS,
        "requests_per_block": CPU_BLOCK_REQUESTS,
        "cpu_us_per_request": {
            name: round(statistics.median(blocks), 1) for name, blocks in spent.items()
        },
        "added_cpu_us": round(statistics.median(added), 1),
        "cpu_without_over_with": round(statistics.median(ratios), 3),
    }


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
        in_process = _cpu_per_request()
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
    # Throughput is judged twice: over HTTP (the direct measure, noisy on a shared machine) and
    # by the CPU each request costs in-process (what bounds throughput when the CPU is the limit).
    throughput_kept = min(ratio, in_process["cpu_without_over_with"])
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
        "endpoint": f"GET {PATH} (the probe middleware answers, inside the metrics; no database)",
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
        "in_process": in_process,
        "errors": errors,
        "targets": {
            "median_added_under_0_3_ms": added_ms < 0.3,
            "throughput_loss_under_5_percent": throughput_kept >= 0.95,
        },
        "target_met": errors == 0 and added_ms < 0.3 and throughput_kept >= 0.95,
    }
