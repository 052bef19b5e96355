"""Celery tasks of the operations core."""

from __future__ import annotations

from operations.rollups import metrics_rollup
from peepers.tasks import task


@task(name="operations.metrics_rollup", queue="low", tenant_scoped=False, soft_time_limit=50)
def metrics_rollup_task() -> int:
    """Every minute: the last finished minutes of the Redis metrics into PostgreSQL."""
    return metrics_rollup()
