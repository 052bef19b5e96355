"""Celery tasks of the operations core."""

from __future__ import annotations

from core.tasks import task
from operations.rollups import metrics_rollup


@task(name="operations.metrics_rollup", queue="low", tenant_scoped=False, soft_time_limit=50)
def metrics_rollup_task() -> int:
    """Every minute: the last finished minutes of the Redis metrics into PostgreSQL."""
    return metrics_rollup()
