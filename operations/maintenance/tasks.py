"""Celery tasks of scheduled maintenance: each runs its job through ``maintenance_run``.

Beat entries (migration 0002, editable in admin) name these tasks; ``by`` says who asked
(beat by default, the staff member for admin's "Run now").
"""

from __future__ import annotations

import logging
from typing import Any

from operations.maintenance.errors import MaintenanceAlreadyRunning
from operations.maintenance.jobs import JOBS, WATCHDOG_TASK
from operations.maintenance.services import maintenance_run, maintenance_watchdog
from peepers.tasks import task

logger = logging.getLogger(__name__)


def run_job(job: str, by: str) -> dict[str, Any]:
    """The body of every job's task: run it, recorded; a run already in progress is left be."""
    try:
        run = maintenance_run(job=job, by=by)
    except MaintenanceAlreadyRunning:
        logger.warning("maintenance %s: a run is already in progress; not starting another", job)
        return {"job": job, "outcome": "skipped: already running"}
    return {**run.summary, "job": job, "run_id": run.pk, "run_outcome": run.outcome}


def _limit(job: str) -> int:
    return JOBS[job].time_limit_seconds


@task(
    name="maintenance.cleanup_cache",
    queue="low",
    tenant_scoped=False,
    soft_time_limit=_limit("cleanup_cache"),
)
def cleanup_cache(by: str = "beat:maintenance.cleanup_cache") -> dict[str, Any]:
    return run_job("cleanup_cache", by)


@task(
    name="maintenance.process_analytics",
    queue="low",
    tenant_scoped=False,
    soft_time_limit=_limit("process_analytics"),
)
def process_analytics(by: str = "beat:maintenance.process_analytics") -> dict[str, Any]:
    return run_job("process_analytics", by)


@task(
    name="maintenance.analyze_query_performance",
    queue="low",
    tenant_scoped=False,
    soft_time_limit=_limit("analyze_query_performance"),
)
def analyze_query_performance(
    by: str = "beat:maintenance.analyze_query_performance",
) -> dict[str, Any]:
    return run_job("analyze_query_performance", by)


@task(
    name="maintenance.security_audit",
    queue="low",
    tenant_scoped=False,
    soft_time_limit=_limit("security_audit"),
)
def security_audit(by: str = "beat:maintenance.security_audit") -> dict[str, Any]:
    return run_job("security_audit", by)


@task(
    name="maintenance.archive", queue="low", tenant_scoped=False, soft_time_limit=_limit("archive")
)
def archive(by: str = "beat:maintenance.archive") -> dict[str, Any]:
    return run_job("archive", by)


@task(
    name="maintenance.compliance_report",
    queue="low",
    tenant_scoped=False,
    soft_time_limit=_limit("compliance_report"),
)
def compliance_report(by: str = "beat:maintenance.compliance_report") -> dict[str, Any]:
    return run_job("compliance_report", by)


@task(
    name="maintenance.capacity_analyze",
    queue="low",
    tenant_scoped=False,
    soft_time_limit=_limit("capacity_analyze"),
)
def capacity_analyze(by: str = "beat:maintenance.capacity_analyze") -> dict[str, Any]:
    return run_job("capacity_analyze", by)


@task(
    name="maintenance.key_rotation_reminder",
    queue="low",
    tenant_scoped=False,
    soft_time_limit=_limit("key_rotation_reminder"),
)
def key_rotation_reminder(by: str = "beat:maintenance.key_rotation_reminder") -> dict[str, Any]:
    return run_job("key_rotation_reminder", by)


@task(name=WATCHDOG_TASK, queue="default", tenant_scoped=False, soft_time_limit=120)
def watchdog() -> dict[str, Any]:
    """Every 10 minutes: missed and abandoned runs open incidents; healed ones resolve."""
    return maintenance_watchdog()
