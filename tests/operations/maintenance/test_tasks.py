"""Every registry job has its Celery task, found by autodiscovery, by the name beat rows use."""

from __future__ import annotations

import json
import subprocess
import sys

from core.tasks import route
from operations.maintenance.jobs import JOBS, WATCHDOG_TASK
from operations.maintenance.tasks import JOB_TASKS

# A fresh process registers only what autodiscovery imports, as a worker does at start.
_REGISTERED = """
import json, django
django.setup()
from peepers.celery import app
app.loader.import_default_modules()
print(json.dumps(sorted(app.tasks)))
"""


def test_autodiscovery_registers_every_job_task() -> None:
    out = subprocess.run(
        [sys.executable, "-c", _REGISTERED], capture_output=True, text=True, check=True
    ).stdout
    registered = set(json.loads(out.splitlines()[-1]))

    assert {job.task for job in JOBS.values()} | {WATCHDOG_TASK} <= registered


def test_each_job_task_keeps_its_name_queue_and_time_limits() -> None:
    for name, job in JOBS.items():
        job_task = JOB_TASKS[name]
        assert job_task.name == job.task
        assert route(job.task, (), {}, {}) == {"queue": "low"}
        assert job_task.soft_time_limit == job.time_limit_seconds
        assert job_task.time_limit == job.time_limit_seconds + 30
        assert job_task.max_retries == 3  # Celery's default; no autoretry is declared
        assert not getattr(job_task, "autoretry_for", ())


def test_a_job_task_records_its_sender_unless_told_who_asked() -> None:
    assert JOBS["cleanup_cache"].default_by == "beat:maintenance.cleanup_cache"
    assert JOBS["backup_daily"].default_by == "celery:backups.daily"
