"""Health checks: database, Redis, broker and migrations, each with a time limit.

``run_checks`` runs them concurrently; ``/api/health`` (peepers/health.py) answers with them and
the alert rules' probe (operations/alerts/probes.py) records them as metrics. Each check reports
its latency so a slow dependency shows before it fails.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any, cast

from django.conf import settings
from django.core.cache import cache
from django.db import connection

from core.tasks import celery_app
from tenants.migrations_state import pending_schemas
from tenants.models import Tenant

logger = logging.getLogger(__name__)

CHECK_TIMEOUT_SECONDS = 3.0
_MIGRATIONS_CACHE_KEY = "health:pending-migrations"
_MIGRATIONS_CACHE_SECONDS = 30


class CheckFailed(Exception):
    pass


def check_database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return "reachable"


def check_redis() -> str:
    token = uuid.uuid4().hex
    cache.set("health:probe", token, 10)
    if cache.get("health:probe") != token:
        raise CheckFailed("the cache did not return what was just written")
    return "reachable"


def check_broker() -> str:
    with celery_app().connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=int(CHECK_TIMEOUT_SECONDS))
        # The Redis transport connects lazily; a PING proves the broker really answers.
        cast(Any, conn.default_channel).client.ping()
    return "reachable"


def check_migrations() -> str:
    pending = _pending_migrations()
    if pending:
        # Counted, not named: this endpoint is public and store names are customers' names.
        raise CheckFailed(
            f"{len(pending)} schema(s) with unapplied migrations; "
            "`manage.py migrate_schemas --check` lists them"
        )
    return "applied"


def _pending_migrations() -> list[str]:
    try:
        cached = cache.get(_MIGRATIONS_CACHE_KEY)
    except Exception:  # Redis down: the redis check reports it; still answer this one
        cached = None
    if cached is not None:
        return list(cached)
    schemas = [
        "public",
        settings.PEEPERS_TEMPLATE_SCHEMA,
        *Tenant.objects.exclude(schema_name="public").values_list("schema_name", flat=True),
    ]
    pending = pending_schemas(schemas)
    try:
        cache.set(_MIGRATIONS_CACHE_KEY, pending, _MIGRATIONS_CACHE_SECONDS)
    except Exception:
        logger.debug("could not cache the migrations check", exc_info=True)
    return pending


CHECKS: dict[str, Callable[[], str]] = {
    "database": check_database,
    "redis": check_redis,
    "broker": check_broker,
    "migrations": check_migrations,
}


def _run(check: Callable[[], str]) -> tuple[str, float]:
    started = time.monotonic()
    try:
        return check(), time.monotonic() - started
    finally:
        # Checks run on pool threads; their connections must not outlive the check.
        connection.close()


def run_checks() -> dict[str, dict[str, object]]:
    """Run every check concurrently; a check that has not answered in time counts as failed."""
    results: dict[str, dict[str, object]] = {}
    pool = ThreadPoolExecutor(max_workers=len(CHECKS), thread_name_prefix="health")
    try:
        deadline = time.monotonic() + CHECK_TIMEOUT_SECONDS
        futures = {name: pool.submit(_run, check) for name, check in CHECKS.items()}
        for name, future in futures.items():
            try:
                detail, elapsed = future.result(timeout=max(0.0, deadline - time.monotonic()))
                results[name] = {"ok": True, "detail": detail, "ms": round(elapsed * 1000, 1)}
            except FutureTimeout:
                results[name] = {
                    "ok": False,
                    "detail": f"no answer within {CHECK_TIMEOUT_SECONDS:g}s",
                }
            except CheckFailed as exc:
                logger.warning("health check %s failed: %s", name, exc)
                results[name] = {"ok": False, "detail": str(exc)}
            except Exception as exc:
                logger.warning("health check %s failed: %r", name, exc)
                results[name] = {"ok": False, "detail": f"{type(exc).__name__}: {exc}"[:300]}
    finally:
        # Never wait for a hung check; its thread ends on its own socket timeout.
        pool.shutdown(wait=False, cancel_futures=True)
    return results
