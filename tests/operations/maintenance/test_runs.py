"""Every run is recorded; a failure opens an incident and the next success resolves it."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from operations.incidents.models import Incident, Priority, State
from operations.maintenance.errors import MaintenanceAlreadyRunning, UnknownJob
from operations.maintenance.models import MaintenanceRun, Outcome
from operations.maintenance.services import maintenance_run

NOW = datetime(2026, 3, 10, 1, 0, tzinfo=UTC)
pytestmark = pytest.mark.django_db


def test_a_successful_run_is_recorded_with_its_summary() -> None:
    run = maintenance_run(job="process_analytics", by="test", now=NOW)

    run.refresh_from_db()
    assert run.outcome == Outcome.SUCCEEDED
    assert run.task == "maintenance.process_analytics"
    assert run.triggered_by == "test"
    assert run.started_at == NOW
    assert run.finished_at is not None
    assert run.finished_at >= NOW
    assert run.summary["day"] == "2026-03-09"
    assert run.error == ""


def test_a_failed_run_opens_an_incident_and_the_next_success_resolves_it() -> None:
    failed = maintenance_run(
        job="process_analytics", by="test", now=NOW, options={"day": date(2026, 3, 11)}
    )

    assert failed.outcome == Outcome.FAILED
    assert "has not started yet" in failed.error
    incident = Incident.objects.get(key="maintenance-failed:process_analytics")
    assert incident.state == State.TRIGGERED
    assert incident.priority == Priority.P2
    assert incident.details["run_id"] == failed.pk

    maintenance_run(job="process_analytics", by="test", now=NOW + timedelta(hours=1))

    incident.refresh_from_db()
    assert incident.state == State.RESOLVED


def test_a_failed_drill_opens_a_p1_incident() -> None:
    run = maintenance_run(job="restore_drill", by="test", now=NOW)

    assert run.outcome == Outcome.FAILED
    assert "no successful full backup" in run.error
    assert run.summary["outcome"] == "failed"
    incident = Incident.objects.get(key="maintenance-failed:restore_drill")
    assert incident.priority == Priority.P1
    assert incident.title == "Backup restore drill failed"


def test_a_second_run_while_one_is_in_progress_is_refused() -> None:
    MaintenanceRun.objects.create(
        job="cleanup_cache", task="maintenance.cleanup_cache", started_at=NOW, triggered_by="x"
    )

    with pytest.raises(MaintenanceAlreadyRunning):
        maintenance_run(job="cleanup_cache", by="test", now=NOW)


def test_an_unknown_job_is_refused_before_anything_is_recorded() -> None:
    with pytest.raises(UnknownJob, match="no maintenance job 'vacuum'"):
        maintenance_run(job="vacuum", by="test")
    assert not MaintenanceRun.objects.exists()
