"""The watchdog: a job is missed only past its schedule's longest gap plus grace."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django_celery_beat.models import CrontabSchedule, PeriodicTask

from operations.incidents.models import Incident, State
from operations.maintenance.jobs import JOBS
from operations.maintenance.models import MaintenanceJob, MaintenanceRun, Outcome
from operations.maintenance.services import (
    maintenance_overdue,
    maintenance_run,
    maintenance_watchdog,
)

LAST = datetime(2026, 3, 10, 3, 30, tzinfo=UTC)
DAILY = JOBS["backup_daily"]
LIMIT = DAILY.longest_gap + DAILY.grace


@pytest.fixture(autouse=True)
def _every_job_ran_at_last(installed_schedule: None) -> None:
    MaintenanceJob.objects.update(watched_since=LAST - timedelta(days=1))
    for job in JOBS.values():
        MaintenanceRun.objects.create(
            job=job.name,
            task=job.task,
            started_at=LAST,
            finished_at=LAST,
            outcome=Outcome.SUCCEEDED,
            triggered_by="test",
        )


def _overdue(now: datetime) -> set[str]:
    return {item.job for item in maintenance_overdue(now=now)}


def test_a_daily_job_is_not_missed_just_below_its_threshold() -> None:
    assert "backup_daily" not in _overdue(LAST + LIMIT - timedelta(seconds=1))


def test_a_daily_job_is_missed_just_above_its_threshold() -> None:
    now = LAST + LIMIT + timedelta(seconds=1)

    result = maintenance_watchdog(now=now)

    assert "backup_daily" in {item["job"] for item in result["overdue"]}
    assert "backup_full" not in {item["job"] for item in result["overdue"]}
    incident = Incident.objects.get(key="maintenance-missed:backup_daily")
    assert incident.state == State.TRIGGERED
    assert incident.priority == "P1"


def test_a_disabled_job_is_not_missed() -> None:
    PeriodicTask.objects.filter(name=DAILY.entry).update(enabled=False)

    assert "backup_daily" not in _overdue(LAST + timedelta(days=30))


def test_a_job_that_never_ran_counts_from_when_it_was_scheduled() -> None:
    MaintenanceRun.objects.filter(job="cleanup_cache").delete()
    scheduled = LAST + timedelta(days=2)
    MaintenanceJob.objects.filter(name="cleanup_cache").update(watched_since=scheduled)
    limit = JOBS["cleanup_cache"].longest_gap + JOBS["cleanup_cache"].grace

    assert "cleanup_cache" not in _overdue(scheduled + limit - timedelta(seconds=1))
    assert "cleanup_cache" in _overdue(scheduled + limit + timedelta(seconds=1))


def test_a_job_retimed_in_admin_is_judged_by_its_new_schedule() -> None:
    weekly, _ = CrontabSchedule.objects.get_or_create(
        minute="30",
        hour="3",
        day_of_week="0",
        day_of_month="*",
        month_of_year="*",
        timezone="UTC",
    )
    PeriodicTask.objects.filter(name=DAILY.entry).update(crontab=weekly)

    assert "backup_daily" not in _overdue(LAST + timedelta(days=3))
    assert "backup_daily" in _overdue(LAST + timedelta(days=7) + DAILY.grace + timedelta(seconds=1))


def test_a_run_after_a_miss_resolves_the_missed_incident() -> None:
    late = LAST + LIMIT + timedelta(minutes=5)
    maintenance_watchdog(now=late)

    maintenance_run(job="process_analytics", by="test", now=late)
    maintenance_watchdog(now=late + timedelta(minutes=10))

    analytics = Incident.objects.get(key="maintenance-missed:process_analytics")
    assert analytics.state == State.RESOLVED


def test_a_run_abandoned_by_a_dead_worker_is_closed_as_failed() -> None:
    started = LAST + timedelta(hours=1)
    stuck = MaintenanceRun.objects.create(
        job="cleanup_cache",
        task="maintenance.cleanup_cache",
        started_at=started,
        triggered_by="test",
    )

    maintenance_watchdog(now=started + timedelta(hours=2))

    stuck.refresh_from_db()
    assert stuck.outcome == Outcome.FAILED
    assert stuck.error.startswith("abandoned")
    assert Incident.objects.filter(key="maintenance-failed:cleanup_cache").exists()
