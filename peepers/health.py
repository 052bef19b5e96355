"""``GET /api/health``: database, Redis, broker and migrations, each checked with a time limit.

200 ``{"status": "ok", "checks": {...}}`` when all pass; 503 with ``"failing": [...]`` naming
the checks that did not. Each check reports its latency so a slow dependency shows before it fails.
Both probes answer whatever the Host header (``ProbeMiddleware``).
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
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from peepers.celery import app as celery_app
from tenants.context import use_public_schema
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
    with celery_app.connection_for_write() as conn:
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


@never_cache
@require_GET
def ping(request: HttpRequest) -> JsonResponse:
    """``GET /api/ping``: the process answers (liveness). Touches no dependency, unlike health."""
    return JsonResponse({"status": "ok"})


@never_cache
@require_GET
def health(request: HttpRequest) -> JsonResponse:
    checks = run_checks()
    failing = [name for name, result in checks.items() if not result["ok"]]
    body: dict[str, object] = {"status": "fail" if failing else "ok", "checks": checks}
    if failing:
        body["failing"] = failing
    return JsonResponse(body, status=503 if failing else 200)


PROBES: dict[str, Callable[[HttpRequest], HttpResponse]] = {
    "/api/health": health,
    "/api/ping": ping,
}


class ProbeMiddleware:
    """Answers ``/api/health`` and ``/api/ping`` before host validation, tenant routing and the
    HTTPS redirect.

    Kubernetes probes and cloud load balancers connect to the server's own address and send it
    as the Host, which ``ALLOWED_HOSTS`` rightly refuses; for these two paths the answer depends
    on no host, so any Host gets it. Every other path still goes through host validation.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        probe = PROBES.get(request.path_info)
        if probe is None:
            return self.get_response(request)
        use_public_schema()
        return probe(request)
