"""System probes a diagnosis reports: Celery queue depth on the broker, Redis and PostgreSQL
round trips, Celery workers' pools, and when the running code was deployed."""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import DatabaseError, connection
from redis.exceptions import RedisError

from core.redis import redis_client
from core.tasks import celery_app
from operations.runbooks.measures import timed_ms

app = celery_app()


@dataclass(frozen=True)
class RedisProbe:
    ping_ms: float | None
    stats: dict[str, Any]
    error: str = ""


def redis_probe() -> RedisProbe:
    client = redis_client()
    try:
        ping_ms = timed_ms(client.ping)
        info: dict[str, Any] = {}
        for section in ("stats", "clients", "memory"):
            info.update(client.info(section))
    except RedisError as exc:
        return RedisProbe(None, {}, f"{type(exc).__name__}: {exc}")
    hits, misses = int(info.get("keyspace_hits", 0)), int(info.get("keyspace_misses", 0))
    stats = {
        "instantaneous_ops_per_sec": info.get("instantaneous_ops_per_sec"),
        "connected_clients": info.get("connected_clients"),
        "blocked_clients": info.get("blocked_clients"),
        "rejected_connections": info.get("rejected_connections"),
        "evicted_keys": info.get("evicted_keys"),
        "keyspace_hit_ratio": round(hits / (hits + misses), 4) if hits + misses else None,
        "used_memory_human": info.get("used_memory_human"),
    }
    return RedisProbe(round(ping_ms, 3), stats)


@dataclass(frozen=True)
class DatabaseProbe:
    select_ms: float | None
    error: str = ""


def database_probe() -> DatabaseProbe:
    def select_one() -> None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()

    try:
        return DatabaseProbe(round(timed_ms(select_one), 3))
    except DatabaseError as exc:
        connection.close()
        return DatabaseProbe(None, f"{type(exc).__name__}: {exc}".strip())


def worker_pools(*, timeout: float = 1.0) -> dict[str, int]:
    """Each answering Celery worker's pool size (``--concurrency``); empty when none answer."""
    try:
        stats = app.control.inspect(timeout=timeout).stats() or {}
    except (OSError, RedisError):
        return {}
    return {
        name: int((worker.get("pool") or {}).get("max-concurrency") or 0)
        for name, worker in stats.items()
    }


def last_deploy() -> str:
    """DEPLOYED_AT or RELEASE from the environment, else the git HEAD commit, else unknown."""
    for variable in ("DEPLOYED_AT", "RELEASE"):
        if os.environ.get(variable):
            return f"{os.environ[variable]} ({variable})"
    try:
        found = subprocess.run(  # noqa: S603  # a fixed argv, no shell
            ["git", "-C", str(settings.BASE_DIR), "log", "-1", "--format=%cI %h %s"],  # noqa: S607
            capture_output=True,
            text=True,
            timeout=3,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return f"{found} (git HEAD commit)" if found else "unknown"
