"""Tasks that exist only for the tests: they report which schema they ran in, how far they got,
or fail as told."""

from __future__ import annotations

import time

import redis
from django.conf import settings

from core.errors import DomainError
from core.tasks import RetryPolicy, task
from tenants.context import current_schema


def schema_key(token: str) -> str:
    return f"test:task-schema:{token}"


@task(name="tests.record_schema", queue="default", tenant_scoped=True, soft_time_limit=10)
def record_schema(token: str) -> None:
    redis.Redis.from_url(settings.REDIS_URL).set(schema_key(token), current_schema(), ex=120)


@task(name="tests.record_schema_anywhere", queue="default", tenant_scoped=False, soft_time_limit=10)
def record_schema_anywhere(token: str) -> None:
    redis.Redis.from_url(settings.REDIS_URL).set(schema_key(token), current_schema(), ex=120)


def visit_key(schema: str) -> str:
    return f"test:fan-out-visit:{schema}"


@task(name="tests.record_visit", queue="low", tenant_scoped=True, soft_time_limit=10)
def record_visit() -> None:
    schema = current_schema()
    redis.Redis.from_url(settings.REDIS_URL).set(visit_key(schema), schema, ex=120)


def started_key(token: str) -> str:
    return f"test:slow-task-started:{token}"


def finished_key(token: str) -> str:
    return f"test:slow-task-finished:{token}"


@task(name="tests.sleep_then_record", queue="default", tenant_scoped=False, soft_time_limit=120)
def sleep_then_record(token: str, seconds: float) -> None:
    """Marks its start, sleeps, marks its end: a task still running when its worker is told to
    stop."""
    client = redis.Redis.from_url(settings.REDIS_URL)
    client.set(started_key(token), 1, ex=300)
    time.sleep(seconds)
    client.set(finished_key(token), 1, ex=300)


def tries_key(token: str) -> str:
    return f"test:held-back-tries:{token}"


@task(
    name="tests.held_back",
    queue="default",
    tenant_scoped=False,
    soft_time_limit=10,
    retry=RetryPolicy(on=(DomainError,), max_retries=2, backoff_seconds=1),
)
def held_back(token: str, failures: int, retry_after: float | None) -> int:
    """Fails its first ``failures`` runs with an error asking to wait ``retry_after`` seconds;
    the number of runs so far."""
    runs = int(redis.Redis.from_url(settings.REDIS_URL).incr(tries_key(token)))
    if runs <= failures:
        raise DomainError("held back", retry_after=retry_after)
    return runs
