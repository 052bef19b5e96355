"""Celery tasks of retention: the daily run, one slice of stores at a time.

Why not ``tenants.fan_out``: it reaches only active stores, while suspended and closed stores
(until their schema is dropped) still hold buyers' data whose periods run out; and one run is
one report row that every store's counts are added to, which one chain of tasks writes without
concurrent updates. Each task does ``STORES_PER_STEP`` stores (a few indexed statements each)
and sends the next slice, so no task runs long and a lost task loses one slice, not the day:
tomorrow's run picks up whatever is still past its period.
"""

from __future__ import annotations

from typing import Any

from compliance.retention.models import RetentionRun
from compliance.retention.services import (
    STORES_PER_STEP,
    retention_run_finish,
    retention_run_public,
    retention_run_start,
    retention_run_stores,
)
from core.tasks import enqueue_on_commit, task


@task(name="retention.run", queue="low", tenant_scoped=False, soft_time_limit=1800)
def retention_daily() -> int:
    """The daily run (``CELERY_BEAT_SCHEDULE``): public categories, then the stores' slices."""
    run = retention_run_start(origin="beat: retention.run")
    retention_run_public(run=run)
    enqueue_on_commit(retention_stores, args=[run.pk, 0])
    return int(run.pk)


@task(name="retention.stores", queue="low", tenant_scoped=False, soft_time_limit=1800)
def retention_stores(run_id: int, after_pk: int) -> dict[str, Any]:
    run = RetentionRun.objects.get(pk=run_id)
    cursor = retention_run_stores(run=run, after_pk=after_pk, limit=STORES_PER_STEP)
    if cursor is not None:
        enqueue_on_commit(retention_stores, args=[run.pk, cursor])
        return {"run": run.pk, "continue_after": cursor}
    return retention_run_finish(run=run).as_dict()
