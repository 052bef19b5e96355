"""The data migration makes one beat entry per job, once, and its reverse removes them."""

from __future__ import annotations

import importlib
from types import ModuleType

import pytest
from django.apps import apps
from django_celery_beat.models import PeriodicTask

from operations.maintenance.jobs import JOBS, WATCHDOG_ENTRY, WATCHDOG_SECONDS, WATCHDOG_TASK
from operations.maintenance.models import MaintenanceJob

pytestmark = pytest.mark.django_db


def _names(migration: ModuleType) -> list[str]:
    return [name for name, *_rest in migration.ENTRIES]


def test_every_job_has_an_entry_naming_its_task(schedule_migration: ModuleType) -> None:
    PeriodicTask.objects.filter(name__in=_names(schedule_migration)).delete()

    schedule_migration.schedule_install(apps, None)

    for job in JOBS.values():
        entry = PeriodicTask.objects.get(name=job.entry)
        assert entry.task == job.task
        assert entry.enabled
        assert entry.crontab is not None
        assert str(entry.crontab.timezone) == "UTC"
    watchdog = PeriodicTask.objects.get(name=WATCHDOG_ENTRY)
    assert watchdog.task == WATCHDOG_TASK
    assert watchdog.interval is not None
    assert watchdog.interval.every == WATCHDOG_SECONDS
    assert set(MaintenanceJob.objects.values_list("name", flat=True)) >= set(JOBS)


def test_running_it_again_creates_nothing_and_keeps_staff_edits(
    schedule_migration: ModuleType,
) -> None:
    schedule_migration.schedule_install(apps, None)
    PeriodicTask.objects.filter(name="maintenance-archive").update(enabled=False)
    before = PeriodicTask.objects.count()

    schedule_migration.schedule_install(apps, None)

    assert PeriodicTask.objects.count() == before
    assert not PeriodicTask.objects.get(name="maintenance-archive").enabled
    for name in _names(schedule_migration):
        assert PeriodicTask.objects.filter(name=name).count() == 1


def test_the_reverse_deletes_the_entries(schedule_migration: ModuleType) -> None:
    schedule_migration.schedule_install(apps, None)

    schedule_migration.schedule_remove(apps, None)

    assert not PeriodicTask.objects.filter(name__in=_names(schedule_migration)).exists()
    assert not MaintenanceJob.objects.exists()


def test_the_backup_entries_left_the_settings_schedule(settings: object) -> None:
    from django.conf import settings as live

    assert not [name for name in live.CELERY_BEAT_SCHEDULE if name.startswith("backups-")]


def test_the_security_audit_moves_to_daily_unless_staff_re_timed_it(
    schedule_migration: ModuleType,
) -> None:
    daily = importlib.import_module("operations.maintenance.migrations.0003_security_audit_daily")
    PeriodicTask.objects.filter(name__in=_names(schedule_migration)).delete()
    schedule_migration.schedule_install(apps, None)

    daily.to_daily(apps, None)

    crontab = PeriodicTask.objects.get(name="maintenance-security-audit").crontab
    assert crontab is not None
    assert (crontab.minute, crontab.hour, crontab.day_of_week) == ("0", "6", "*")
    crontab.hour = "9"
    crontab.save()
    daily.to_weekly(apps, None)
    assert PeriodicTask.objects.get(name="maintenance-security-audit").crontab.hour == "9"
