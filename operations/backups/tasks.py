"""Celery tasks of backups, by the names tests and callers use: the tasks themselves are
generated from the maintenance jobs registry (``operations.maintenance.tasks.JOB_TASKS``)."""

from __future__ import annotations

from operations.maintenance.tasks import JOB_TASKS

backup_daily = JOB_TASKS["backup_daily"]
backup_full = JOB_TASKS["backup_full"]
restore_drill = JOB_TASKS["restore_drill"]
