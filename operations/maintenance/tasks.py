"""Celery tasks of scheduled maintenance, one per job in the registry (``jobs.JOBS``), each
running its job through ``maintenance_run``; plus the watchdog.

Beat entries (migration 0002, editable in admin) name these tasks; ``by`` says who asked
(the job's sender by default, the staff member for admin's "Run now").
"""

from __future__ import annotations

import logging
from typing import Any

from celery.app.task import Task

from core.tasks import task
from operations.maintenance.errors import MaintenanceAlreadyRunning
from operations.maintenance.jobs import JOBS, WATCHDOG_TASK, Job
from operations.maintenance.services import maintenance_run, maintenance_watchdog

logger = logging.getLogger(__name__)

JobTask = Task[[str], dict[str, Any]]


def run_job(job: str, by: str) -> dict[str, Any]:
    """The body of every job's task: run it, recorded; a run already in progress is left be."""
    try:
        run = maintenance_run(job=job, by=by)
    except MaintenanceAlreadyRunning:
        logger.warning("maintenance %s: a run is already in progress; not starting another", job)
        return {"job": job, "outcome": "skipped: already running"}
    return {**run.summary, "job": job, "run_id": run.pk, "run_outcome": run.outcome}


def _job_task(job: Job) -> JobTask:
    def run(by: str = job.default_by) -> dict[str, Any]:
        return run_job(job.name, by)

    run.__name__ = run.__qualname__ = job.name
    run.__doc__ = f"{job.title} ({job.schedule}), recorded as a maintenance run."
    return task(
        name=job.task, queue="low", tenant_scoped=False, soft_time_limit=job.time_limit_seconds
    )(run)


# Job name -> its task, registered with the Celery app as this module is imported (autodiscovery).
JOB_TASKS: dict[str, JobTask] = {name: _job_task(job) for name, job in JOBS.items()}


@task(name=WATCHDOG_TASK, queue="default", tenant_scoped=False, soft_time_limit=120)
def watchdog() -> dict[str, Any]:
    """Every 10 minutes: missed and abandoned runs open incidents; healed ones resolve."""
    return maintenance_watchdog()
