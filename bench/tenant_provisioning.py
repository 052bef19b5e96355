"""Tenant provisioning: cloning the template vs replaying migrations, and a no-op migrate.

Both ways of creating a store run in the same process, alternately, on a fresh benchmark
database, so machine noise hits both alike; the ratio is the figure that matters. Then the
database is filled to ``MIGRATE_TENANTS`` stores and ``migrate_schemas`` is timed with nothing to
apply, both Peepers' way (one query finds the pending schemas) and django-tenants' stock way
(``--all-schemas``: ``migrate`` per schema).
"""

from __future__ import annotations

import io
import os
import platform
import statistics
import time
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.test.utils import setup_databases, teardown_databases

from tenants.services import tenant_create

CLONES = 30
REPLAYS = 6
MIGRATE_TENANTS = 200


def _create(index: int, provision: str) -> float:
    started = time.perf_counter()
    tenant_create(
        name=f"Bench {index}",
        slug=f"bench-{provision}-{index}",
        owner_email=f"owner{index}-{provision}@bench.example.com",
        owner_password=None,
        plan_code="starter",
        terms_accepted=True,
        channel="command",
        provision=provision,  # type: ignore[arg-type]
    )
    return time.perf_counter() - started


def _summary(samples: list[float]) -> dict[str, Any]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {
        "n": len(samples),
        "median_s": round(statistics.median(samples), 4),
        "p95_s": round(p95, 4),
        "min_s": round(ordered[0], 4),
        "max_s": round(ordered[-1], 4),
    }


def _timed_migrate(*args: str) -> float:
    started = time.perf_counter()
    call_command(
        "migrate_schemas",
        *args,
        "--noinput",
        verbosity=0,
        stdout=io.StringIO(),
        stderr=io.StringIO(),
    )
    return time.perf_counter() - started


def run() -> dict[str, Any]:
    settings.DATABASES["default"]["TEST"]["NAME"] = "bench_peepers"
    config = setup_databases(verbosity=0, interactive=False, aliases={"default": connection})
    try:
        clone: list[float] = []
        replay: list[float] = []
        _create(0, "clone")  # warm-up: first-use costs (imports, plan cache) are not provisioning
        for index in range(1, CLONES + 1):
            clone.append(_create(index, "clone"))
            if index % (CLONES // REPLAYS) == 0:
                replay.append(_create(index, "replay"))
        existing = CLONES + 1 + REPLAYS
        for index in range(existing, MIGRATE_TENANTS):
            _create(index + 1000, "clone")
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM tenants_tenant WHERE schema_name <> 'public'")
            tenants = cursor.fetchone()[0]
        smart = _timed_migrate()
        stock = _timed_migrate("--all-schemas")
        clone_stats, replay_stats = _summary(clone), _summary(replay)
        return {
            "benchmark": "tenant_provisioning",
            "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
            "create_tenant": {
                "clone": clone_stats,
                "replay_migrations": replay_stats,
                "replay_over_clone_median": round(
                    replay_stats["median_s"] / clone_stats["median_s"], 1
                ),
                "target": "clone p95 < 0.5 s and >= 5x faster than replay",
                "target_met": clone_stats["p95_s"] < 0.5
                and replay_stats["median_s"] / clone_stats["median_s"] >= 5,
            },
            "migrate_schemas_noop": {
                "tenant_schemas": tenants,
                "peepers_s": round(smart, 2),
                "stock_all_schemas_s": round(stock, 2),
                "stock_over_peepers": round(stock / smart, 1),
            },
        }
    finally:
        teardown_databases(config, verbosity=0)
