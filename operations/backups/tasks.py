"""Celery tasks of backups: thin wrappers the beat schedule runs (entries in migration
maintenance 0002), each run recorded as a ``MaintenanceRun`` that alerts when it fails."""

from __future__ import annotations

from typing import Any

from operations.maintenance.tasks import run_job
from peepers.tasks import task


@task(name="backups.daily", queue="low", tenant_scoped=False, soft_time_limit=3 * 3600)
def backup_daily(by: str = "celery:backups.daily") -> dict[str, Any]:
    """Take the daily backup, then prune what retention no longer keeps."""
    return run_job("backup_daily", by)


@task(name="backups.full", queue="low", tenant_scoped=False, soft_time_limit=6 * 3600)
def backup_full(by: str = "celery:backups.full") -> dict[str, Any]:
    """Take the weekly full backup, then prune what retention no longer keeps."""
    return run_job("backup_full", by)


@task(name="backups.restore_drill", queue="low", tenant_scoped=False, soft_time_limit=6 * 3600)
def restore_drill(by: str = "celery:backups.restore_drill") -> dict[str, Any]:
    """Restore the latest full backup into a scratch database and verify it (monthly); a drill
    that does not verify opens a P1 incident."""
    return run_job("restore_drill", by)
