"""ML client overhead and a token refresh storm, against the sandbox running as a server.

Overhead: the same ``GET /users/me`` through ``MLClient`` (breaker, shared budget, token,
metrics, typed errors) and through a bare pooled httpx client, alternately, in one run; the
difference of the medians is what the client adds. Storm: the token expired on both sides,
200 threads call at once; one refresh must reach ML and every caller must succeed.
"""

from __future__ import annotations

import os
import platform
import statistics
import threading
import time
from datetime import timedelta
from typing import Any

import httpx
from django.conf import settings
from django.db import connection, connections
from django.test.utils import setup_databases, teardown_databases
from django.utils import timezone
from django_tenants.utils import tenant_context

from core import crypto
from core.redis import redis_client
from doubles.mercadolivre import SandboxConfig, SandboxServer
from integrations.mercadolivre.client import MLClient
from integrations.mercadolivre.models import MLAccount
from integrations.mercadolivre.priorities import Priority
from integrations.mercadolivre.services import ml_connect_complete, ml_connect_start
from tenants.services import tenant_create

CALLS = 400
STORM = 200


def _connect(server: SandboxServer, tenant: Any) -> None:
    started = ml_connect_start(tenant=tenant, started_by="bench")
    seller = server.state.sellers[0]
    response = httpx.get(f"{started.authorization_url}&sandbox_user_id={seller.id}")
    params = dict(httpx.URL(response.headers["location"]).params)
    ml_connect_complete(callback_data=params)


def _median_ms(samples: list[float]) -> float:
    return round(statistics.median(samples) * 1000, 3)


def _p95_ms(samples: list[float]) -> float:
    ordered = sorted(samples)
    return round(ordered[int(0.95 * (len(ordered) - 1))] * 1000, 3)


def run() -> dict[str, Any]:
    settings.DATABASES["default"]["TEST"]["NAME"] = "bench_peepers"
    config = setup_databases(verbosity=0, interactive=False, aliases={"default": connection})
    server = SandboxServer(
        SandboxConfig(
            client_id=settings.ML_CLIENT_ID,
            client_secret=settings.ML_CLIENT_SECRET,
            redirect_uris=(settings.ML_REDIRECT_URI,),
            sellers=1,
            items=10,
            orders=5,
            questions=2,
            webhook_url=None,
        ),
        host="127.0.0.1",
        port=0,
    )
    server.start()
    settings.ML_API_BASE = settings.ML_AUTH_BASE = server.url
    settings.ML_RATE_LIMIT_PER_MINUTE = settings.ML_SELLER_RATE_LIMIT_PER_MINUTE = 10_000_000
    for key in redis_client().scan_iter("ml:*"):
        redis_client().delete(key)
    try:
        tenant = tenant_create(
            name="Bench ML",
            slug="bench-ml",
            owner_email="ml@bench.example.com",
            owner_password=None,
            plan_code="starter",
            terms_accepted=True,
            channel="command",
        ).tenant
        _connect(server, tenant)
        with tenant_context(tenant):
            account = MLAccount.objects.get()
            token = crypto.decrypt(account.access_token)
            client = MLClient(account=account, priority=Priority.HIGH)
            bare = httpx.Client(timeout=10)
            headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
            for _ in range(20):  # warm both connection pools
                bare.get(f"{server.url}/users/me", headers=headers).json()
                client.get("/users/me")
            bare_s: list[float] = []
            client_s: list[float] = []
            for _ in range(CALLS):
                started = time.perf_counter()
                bare.get(f"{server.url}/users/me", headers=headers).json()
                bare_s.append(time.perf_counter() - started)
                started = time.perf_counter()
                client.get("/users/me")
                client_s.append(time.perf_counter() - started)

            server.state.token_requests.clear()
            MLAccount.objects.update(access_expires_at=timezone.now() - timedelta(seconds=1))
        httpx.post(
            f"{server.url}/_sandbox/expire_tokens",
            headers={"Authorization": f"Bearer {settings.ML_CLIENT_SECRET}"},
        ).raise_for_status()
        barrier = threading.Barrier(STORM)
        failures: list[Exception] = []

        def caller() -> None:
            try:
                with tenant_context(tenant):
                    storm_client = MLClient.for_current_store(priority=Priority.HIGH)
                    barrier.wait()
                    storm_client.get("/users/me")
            except Exception as exc:
                failures.append(exc)
            finally:
                connections.close_all()

        threads = [threading.Thread(target=caller) for _ in range(STORM)]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=300)
        storm_seconds = time.perf_counter() - started
        overhead = _median_ms(client_s) - _median_ms(bare_s)
        return {
            "benchmark": "ml_client",
            "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
            "overhead": {
                "calls": CALLS,
                "bare_httpx_median_ms": _median_ms(bare_s),
                "bare_httpx_p95_ms": _p95_ms(bare_s),
                "ml_client_median_ms": _median_ms(client_s),
                "ml_client_p95_ms": _p95_ms(client_s),
                "added_median_ms": round(overhead, 3),
                "target": "under 2 ms added at the median",
                "target_met": overhead < 2.0,
            },
            "refresh_storm": {
                "callers": STORM,
                "refresh_requests_at_ml": int(server.state.token_requests["refresh_token"]),
                "failed_callers": len(failures),
                "failures": sorted({f"{type(exc).__name__}: {exc}"[:160] for exc in failures}),
                "wall_seconds": round(storm_seconds, 2),
            },
        }
    finally:
        server.stop()
        connections.close_all()
        teardown_databases(config, verbosity=0)
