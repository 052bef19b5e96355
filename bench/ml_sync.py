"""Initial sync of a big seller from the sandbox: wall time, ML calls per row, rows per second.

A fresh benchmark database and an in-process sandbox serving one seller with ``ITEMS`` items
and ``ORDERS`` orders; the store connects, then ``ml_sync_initial`` runs in this process with
the shared budget raised out of the way (the figure is Peepers' own cost, not ML's quota).
Then one incremental sync after a few changes shows what a routine catch-up costs.
"""

from __future__ import annotations

import os
import platform
import time
from typing import Any
from unittest import mock

import httpx
from django.conf import settings
from django.db import connection, connections
from django.test.utils import setup_databases, teardown_databases
from django_tenants.utils import tenant_context

from core.redis import redis_client
from doubles.mercadolivre import SandboxConfig, SandboxServer
from integrations.mercadolivre.models import MLItem, MLOrder, SyncKind, SyncRun
from integrations.mercadolivre.services import ml_connect_complete, ml_connect_start
from integrations.mercadolivre.sync import ml_sync_incremental, ml_sync_initial
from integrations.mercadolivre.tasks import ml_initial_sync
from tenants.services import tenant_create

ITEMS = 10_000
ORDERS = 10_000
QUESTIONS = 200
EVENTS = 10  # changes between the initial and the incremental sync
CALLS_PER_ITEM_TARGET = 0.06  # a scan page of 100 ids, then multigets of 20


def _connect(server: SandboxServer, tenant: Any) -> int:
    """Connect like a seller would; the initial sync it enqueues is counted, not sent."""
    sent: list[dict[str, Any]] = []
    with mock.patch.object(ml_initial_sync, "apply_async", lambda *a, **kw: sent.append(kw)):
        started = ml_connect_start(tenant=tenant, started_by="bench")
        seller = server.state.sellers[0]
        response = httpx.get(f"{started.authorization_url}&sandbox_user_id={seller.id}")
        ml_connect_complete(callback_data=dict(httpx.URL(response.headers["location"]).params))
    return len(sent)


def _events(server: SandboxServer) -> None:
    seller_id = server.state.sellers[0].id
    admin = {"Authorization": f"Bearer {settings.ML_CLIENT_SECRET}"}
    kinds = ("order_updated", "item_updated", "order_created", "question_created")
    for index in range(EVENTS):
        httpx.post(
            f"{server.url}/_sandbox/events",
            json={"type": kinds[index % len(kinds)], "seller_id": seller_id},
            headers=admin,
        ).raise_for_status()


def run() -> dict[str, Any]:
    # Its own name: another benchmark may hold bench_peepers open at the same time.
    settings.DATABASES["default"]["TEST"]["NAME"] = "bench_ml_sync"
    config = setup_databases(verbosity=0, interactive=False, aliases={"default": connection})
    generating = time.perf_counter()
    server = SandboxServer(
        SandboxConfig(
            client_id=settings.ML_CLIENT_ID,
            client_secret=settings.ML_CLIENT_SECRET,
            redirect_uris=(settings.ML_REDIRECT_URI,),
            sellers=1,
            items=ITEMS,
            orders=ORDERS,
            questions=QUESTIONS,
            seed=5,
            webhook_url=None,
        ),
        host="127.0.0.1",
        port=0,
    )
    generating = time.perf_counter() - generating
    server.start()
    settings.ML_API_BASE = settings.ML_AUTH_BASE = server.url
    settings.ML_RATE_LIMIT_PER_MINUTE = settings.ML_SELLER_RATE_LIMIT_PER_MINUTE = 10_000_000
    for key in redis_client().scan_iter("ml:*"):
        redis_client().delete(key)
    try:
        tenant = tenant_create(
            name="Bench sync",
            slug="bench-sync",
            owner_email="sync@bench.example.com",
            owner_password=None,
            plan_code="business",
            terms_accepted=True,
            channel="command",
        ).tenant
        enqueued = _connect(server, tenant)
        server.state.requests.clear()

        started = time.perf_counter()
        outcome = ml_sync_initial(tenant=tenant)
        wall = time.perf_counter() - started
        requests_at_ml = sum(server.state.requests.values())
        with tenant_context(tenant):
            items, orders = MLItem.objects.count(), MLOrder.objects.count()
            run = SyncRun.objects.get(kind=SyncKind.INITIAL)
            splits = int(run.cursor["orders"]["splits"])

        _events(server)
        started = time.perf_counter()
        incremental = ml_sync_incremental(tenant=tenant)
        incremental_wall = time.perf_counter() - started

        item_calls = int(outcome.calls_by_phase.get("items", 0))
        order_calls = int(outcome.calls_by_phase.get("orders", 0))
        per_item = item_calls / items if items else float("inf")
        rows = sum(outcome.stored.values())
        return {
            "benchmark": "ml_sync",
            "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
            "sandbox": {
                "items": ITEMS,
                "orders": ORDERS,
                "questions_per_seller": QUESTIONS,
                "generation_s": round(generating, 2),
            },
            "initial_sync": {
                "status": outcome.status,
                "enqueued_on_connect": enqueued,
                "wall_s": round(wall, 2),
                "stored": dict(outcome.stored),
                "rows_per_s": round(rows / wall, 1),
                "ml_calls": outcome.ml_calls,
                "requests_seen_by_ml": requests_at_ml,
                "ml_calls_by_phase": dict(outcome.calls_by_phase),
                "item_calls_per_item": round(per_item, 4),
                "order_calls_per_order": round(order_calls / orders, 4) if orders else None,
                "order_window_splits": splits,
                "target": f"items and orders all stored; <= {CALLS_PER_ITEM_TARGET} calls/item",
                "target_met": items == ITEMS
                and orders == ORDERS
                and per_item <= CALLS_PER_ITEM_TARGET,
            },
            "incremental_sync_after_changes": {
                "changes": EVENTS,
                "status": incremental.status,
                "wall_s": round(incremental_wall, 3),
                "ml_calls": incremental.ml_calls,
                "ml_calls_by_phase": dict(incremental.calls_by_phase),
                "rows_written": dict(incremental.counts),
            },
        }
    finally:
        server.stop()
        connections.close_all()
        teardown_databases(config, verbosity=0)
