"""Running maintenance jobs so every run is recorded and alerts, and watching for missed ones.

``maintenance_run`` is the one way a job runs: the Celery tasks, the commands and the admin's
"Run now" (through the task) all go through it. A failed run opens the incident
``maintenance-failed:<job>``; the next successful run resolves it. The watchdog
(``maintenance_watchdog``, beat every 10 minutes) opens ``maintenance-missed:<job>`` when a job
has not started for longer than its schedule's longest gap plus a grace period.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from celery.schedules import crontab
from django.db import IntegrityError, transaction
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from operations.incidents.services import incident_resolve_by_key
from operations.maintenance.alerting import maintenance_alert
from operations.maintenance.errors import MaintenanceAlreadyRunning, MaintenanceJobFailed
from operations.maintenance.jobs import JOBS, Job, job_get
from operations.maintenance.models import MaintenanceJob, MaintenanceRun, Outcome

logger = logging.getLogger(__name__)

# Ticks of a crontab looked at to find its longest gap: a year of a daily job, and enough of
# anything more frequent (whose gaps are short anyway).
_GAP_HORIZON = timedelta(days=400)
_GAP_MAX_TICKS = 1000
# A run still "running" this long after its job's time limit was abandoned by a dead worker.
ABANDONED_AFTER = timedelta(minutes=30)


def maintenance_run(
    *,
    job: str,
    by: str,
    now: datetime | None = None,
    options: Mapping[str, Any] | None = None,
) -> MaintenanceRun:
    """Run ``job`` now, record the run, alert on failure and clear the alerts on success.

    Never raises for the job's own failure (it is recorded and alerted); raises UnknownJob for
    a name not in the registry and MaintenanceAlreadyRunning while another run is in progress.
    """
    spec = job_get(job)
    started = now or timezone.now()
    try:
        with transaction.atomic():
            run = MaintenanceRun.objects.create(
                job=spec.name,
                task=spec.task,
                started_at=started,
                outcome=Outcome.RUNNING,
                triggered_by=by[:254],
            )
    except IntegrityError:
        raise MaintenanceAlreadyRunning(f"{spec.name} is already running") from None
    clock = time.monotonic()
    try:
        run.summary = spec.run(now=started, by=by, options=options or {})
        run.outcome = Outcome.SUCCEEDED
    except MaintenanceJobFailed as exc:
        run.summary = exc.summary
        run.error = str(exc)[:4000]
        run.outcome = Outcome.FAILED
    except Exception as exc:
        logger.exception("maintenance job %s failed", spec.name)
        run.error = f"{type(exc).__name__}: {exc}"[:4000]
        run.outcome = Outcome.FAILED
    run.finished_at = started + timedelta(seconds=time.monotonic() - clock)
    run.save(update_fields=["summary", "error", "outcome", "finished_at"])
    if run.outcome == Outcome.FAILED:
        logger.error("maintenance %s run %s failed: %s", spec.name, run.pk, run.error)
        maintenance_alert(
            key=spec.failed_key,
            title=f"{spec.title} failed",
            priority=spec.priority,
            details={"job": spec.name, "run_id": run.pk, "error": run.error},
            now=run.finished_at,
        )
    else:
        incident_resolve_by_key(key=spec.failed_key, now=run.finished_at)
    incident_resolve_by_key(key=spec.missed_key, now=run.finished_at)
    return run


@dataclass(frozen=True)
class Overdue:
    job: str
    since: datetime  # last start, or when the watchdog began expecting the job
    expected_gap: timedelta
    grace: timedelta
    late_by: timedelta

    def as_dict(self) -> dict[str, str]:
        return {
            "job": self.job,
            "since": self.since.isoformat(),
            "expected_gap": str(self.expected_gap),
            "late_by": str(self.late_by),
        }


def expected_gap(job: Job, *, entry: PeriodicTask | None, now: datetime) -> timedelta:
    """The longest gap between two runs on the entry's current schedule (as re-timed in
    admin); the job's default when the entry is gone or uses another kind of schedule."""
    if entry is None:
        return job.longest_gap
    if entry.interval is not None:
        return timedelta(**{str(entry.interval.period): int(entry.interval.every)})
    if entry.crontab is None:
        return job.longest_gap
    spec = entry.crontab
    schedule = crontab(
        minute=spec.minute,
        hour=spec.hour,
        day_of_week=spec.day_of_week,
        day_of_month=spec.day_of_month,
        month_of_year=spec.month_of_year,
    )
    zone = ZoneInfo(str(spec.timezone))
    start = now.astimezone(zone)
    last, delta, _now = schedule.remaining_delta(start)
    tick = last + delta
    longest = timedelta(0)
    for _ in range(_GAP_MAX_TICKS):
        last, delta, _now = schedule.remaining_delta(tick)
        following = last + delta
        if following <= tick:  # never moves on: not a schedule we can reason about
            return job.longest_gap
        longest = max(longest, following - tick)
        tick = following
        if tick > start + _GAP_HORIZON:
            break
    return longest or job.longest_gap


def maintenance_overdue(*, now: datetime) -> list[Overdue]:
    """Jobs whose last start (or, never run, the start of watching) is older than their
    schedule's longest gap plus grace. A job whose beat entry is disabled is never overdue."""
    entries = {
        entry.name: entry
        for entry in PeriodicTask.objects.select_related("interval", "crontab").filter(
            name__in=[job.entry for job in JOBS.values()]
        )
    }
    watched = dict(MaintenanceJob.objects.values_list("name", "watched_since"))
    overdue = []
    for job in JOBS.values():
        entry = entries.get(job.entry)
        if entry is not None and not entry.enabled:
            continue
        last = (
            MaintenanceRun.objects.filter(job=job.name)
            .order_by("-started_at")
            .values_list("started_at", flat=True)
            .first()
        )
        candidates = [t for t in (last, watched.get(job.name)) if t is not None]
        if not candidates:
            continue
        since = max(candidates)
        gap = expected_gap(job, entry=entry, now=now)
        late_by = now - since - gap - job.grace
        if late_by > timedelta(0):
            overdue.append(Overdue(job.name, since, gap, job.grace, late_by))
    return overdue


def maintenance_watch_start(*, now: datetime) -> int:
    """Start the watchdog's clock for jobs it does not know yet; how many were added."""
    existing = set(MaintenanceJob.objects.values_list("name", flat=True))
    missing = [MaintenanceJob(name=n, watched_since=now) for n in JOBS if n not in existing]
    MaintenanceJob.objects.bulk_create(missing, ignore_conflicts=True)
    return len(missing)


def maintenance_abandoned_close(*, now: datetime) -> list[MaintenanceRun]:
    """Runs "running" well past their job's time limit (a worker died): failed, and alerted."""
    closed = []
    for job in JOBS.values():
        limit = timedelta(seconds=job.time_limit_seconds) + ABANDONED_AFTER
        stale = MaintenanceRun.objects.filter(
            job=job.name, outcome=Outcome.RUNNING, started_at__lt=now - limit
        )
        for run in stale:
            updated = MaintenanceRun.objects.filter(pk=run.pk, outcome=Outcome.RUNNING).update(
                outcome=Outcome.FAILED,
                finished_at=now,
                error=f"abandoned: still running {limit} after it started (worker lost?)",
            )
            if updated:
                run.refresh_from_db()
                closed.append(run)
                maintenance_alert(
                    key=job.failed_key,
                    title=f"{job.title} failed",
                    priority=job.priority,
                    details={"job": job.name, "run_id": run.pk, "error": run.error},
                    now=now,
                )
    return closed


def maintenance_watchdog(*, now: datetime | None = None) -> dict[str, Any]:
    """One watchdog pass: close abandoned runs, open missed-run incidents, clear healed ones."""
    now = now or timezone.now()
    maintenance_watch_start(now=now)
    abandoned = maintenance_abandoned_close(now=now)
    overdue = maintenance_overdue(now=now)
    late = {item.job for item in overdue}
    for item in overdue:
        job = JOBS[item.job]
        maintenance_alert(
            key=job.missed_key,
            title=f"{job.title} missed its schedule",
            priority=job.priority,
            details={**item.as_dict(), "grace": str(item.grace)},
            now=now,
        )
    for job in JOBS.values():
        if job.name not in late:
            incident_resolve_by_key(key=job.missed_key, now=now)
    return {
        "overdue": [item.as_dict() for item in overdue],
        "abandoned_runs": [run.pk for run in abandoned],
    }


def last_runs() -> dict[str, MaintenanceRun]:
    """The latest run of each job (for admin and the commands' summaries)."""
    found: dict[str, MaintenanceRun] = {}
    for run in MaintenanceRun.objects.filter(job__in=list(JOBS)).order_by("job", "-started_at"):
        found.setdefault(run.job, run)
    return found
