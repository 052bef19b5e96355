"""Tasks that exist only for the tests: they report which schema they ran in."""

from __future__ import annotations

import redis
from django.conf import settings

from core.tasks import task
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
