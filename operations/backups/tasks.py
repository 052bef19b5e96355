"""Celery tasks of backups: thin wrappers the beat schedule runs (peepers/settings.py)."""

from __future__ import annotations

from operations.backups.restores import restore_drill as restore_drill_run
from operations.backups.services import backup_create, backup_prune
from peepers.tasks import task


@task(name="backups.daily", queue="low", tenant_scoped=False, soft_time_limit=3 * 3600)
def backup_daily(by: str = "celery:backups.daily") -> dict[str, int | str]:
    """Take the daily backup, then prune what retention no longer keeps."""
    backup = backup_create(kind="daily", by=by)
    return {"backup_id": backup.pk, "size_bytes": backup.size_bytes, "pruned": len(backup_prune())}


@task(name="backups.full", queue="low", tenant_scoped=False, soft_time_limit=6 * 3600)
def backup_full(by: str = "celery:backups.full") -> dict[str, int | str]:
    """Take the weekly full backup, then prune what retention no longer keeps."""
    backup = backup_create(kind="full", by=by)
    return {"backup_id": backup.pk, "size_bytes": backup.size_bytes, "pruned": len(backup_prune())}


@task(name="backups.restore_drill", queue="low", tenant_scoped=False, soft_time_limit=6 * 3600)
def restore_drill(by: str = "celery:backups.restore_drill") -> dict[str, int | str]:
    """Restore the latest full backup into a scratch database and verify it (monthly)."""
    restore = restore_drill_run(by=by)
    return {"restore_id": restore.pk, "outcome": restore.outcome}
