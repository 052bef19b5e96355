"""Tenant jobs: the fan-out that lets one beat entry reach every active store."""

from __future__ import annotations

import logging
from importlib import import_module

from django.conf import settings
from django_tenants.utils import get_public_schema_name

from core.tasks import celery_app, task
from tenants.models import Tenant, TenantStatus

app = celery_app()

logger = logging.getLogger(__name__)

FAN_OUT_BATCH_SIZE = 500


@task(name="tenants.fan_out", queue="low", tenant_scoped=False, soft_time_limit=300)
def fan_out(task_name: str, spread_seconds: int = 0) -> int:
    """Send ``task_name`` once to every active store, spread evenly over ``spread_seconds``.

    The spread keeps a daily job for thousands of stores from landing on the workers at once.
    Returns how many were sent.
    """
    target = app.tasks[task_name]
    schemas = list(
        Tenant.objects.filter(status=TenantStatus.ACTIVE)
        .exclude(schema_name=get_public_schema_name())
        .order_by("pk")
        .values_list("schema_name", flat=True)
        .iterator(chunk_size=FAN_OUT_BATCH_SIZE)
    )
    for index, schema in enumerate(schemas):
        target.apply_async(
            headers={"_schema_name": schema}, countdown=spread_seconds * index / len(schemas)
        )
    logger.info("fanned %s out to %d stores", task_name, len(schemas))
    return len(schemas)


@task(name="tenants.clear_expired_sessions", queue="low", tenant_scoped=False, soft_time_limit=300)
def clear_expired_sessions() -> None:
    """Delete expired sessions in the current schema (public or a store's)."""
    engine = import_module(settings.SESSION_ENGINE)
    engine.SessionStore.clear_expired()
