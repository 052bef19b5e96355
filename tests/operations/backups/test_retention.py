"""Retention keeps 7 daily, 4 weekly (newest of each ISO week), 12 monthly, and the newest."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from operations.backups.models import Backup, BackupStatus
from operations.backups.services import backup_prune

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 27, 15, 0, tzinfo=UTC)  # a Friday


def _backup(at: datetime, directory: Path, *, kind: str = "daily", schema: str = "") -> Backup:
    path = directory / f"{kind}-{schema}-{at:%Y%m%d%H%M}.dump.enc"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"x")
    return Backup.objects.create(
        kind=kind,
        tenant_schema=schema,
        path=str(path),
        started_at=at,
        finished_at=at,
        status=BackupStatus.SUCCEEDED,
        by="test",
    )


def _kept_dates() -> set[date]:
    return {timezone.localtime(b.started_at).date() for b in Backup.objects.all()}


def test_prune_keeps_seven_daily_four_weekly_twelve_monthly(backup_dir: Path) -> None:
    for days_ago in range(400):
        _backup(NOW - timedelta(days=days_ago), backup_dir)

    pruned = backup_prune(now=NOW)

    daily = {date(2026, 11, d) for d in range(21, 28)}
    # This week's newest is the 27th, last week's the 22nd: both are dailies already.
    weekly = {date(2026, 11, 22), date(2026, 11, 15), date(2026, 11, 8)}
    monthly = {
        date(2026, 10, 31),
        date(2026, 9, 30),
        date(2026, 8, 31),
        date(2026, 7, 31),
        date(2026, 6, 30),
        date(2026, 5, 31),
        date(2026, 4, 30),
        date(2026, 3, 31),
        date(2026, 2, 28),
        date(2026, 1, 31),
        date(2025, 12, 31),
    }  # + November's 27th
    assert _kept_dates() == daily | weekly | monthly, sorted(_kept_dates())
    assert len(pruned) == 400 - 20
    assert len(list(backup_dir.iterdir())) == 20


def test_prune_keeps_the_newest_successful_backup_whatever_else_is_newer(
    backup_dir: Path,
) -> None:
    newest_ok = _backup(NOW - timedelta(days=500), backup_dir, kind="tenant", schema="tenant-a")
    Backup.objects.create(
        kind="tenant",
        tenant_schema="tenant-a",
        started_at=NOW - timedelta(days=1),
        status=BackupStatus.FAILED,
        error="disk full",
        by="test",
    )

    backup_prune(now=NOW)

    assert Backup.objects.filter(pk=newest_ok.pk).exists()
    assert Path(newest_ok.path).exists()


def test_each_store_is_its_own_series(backup_dir: Path) -> None:
    for days_ago in range(10):
        _backup(NOW - timedelta(days=days_ago), backup_dir, kind="tenant", schema="tenant-a")
    only_b = _backup(NOW - timedelta(days=300), backup_dir, kind="tenant", schema="tenant-b")

    backup_prune(now=NOW)

    assert (
        Backup.objects.filter(tenant_schema="tenant-a").count() == 7
    )  # the 7 days hold both weeks' newest
    assert Backup.objects.filter(pk=only_b.pk).exists()


def test_failed_runs_are_forgotten_after_a_month(backup_dir: Path) -> None:
    old = Backup.objects.create(
        kind="daily",
        started_at=NOW - timedelta(days=40),
        status=BackupStatus.FAILED,
        by="test",
    )

    assert backup_prune(now=NOW) == [old.pk]
