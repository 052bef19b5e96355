"""archive: a readable, checksummed file first, then exactly those rows deleted."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from operations.maintenance.archive import archive_old_rows, archive_read
from operations.maintenance.errors import MaintenanceJobFailed
from operations.models import MetricMinute

pytestmark = pytest.mark.usefixtures("committed_db")

NOW = datetime(2026, 6, 2, 2, 10, tzinfo=UTC)
OLD = NOW - timedelta(days=100)


@pytest.fixture
def metric_rows(committed_db: None) -> None:
    for offset in range(3):
        MetricMinute.objects.create(
            name="http_request",
            minute=OLD + timedelta(minutes=offset),
            field=f"f{offset}",
            value=offset,
        )
    for offset in range(2):
        MetricMinute.objects.create(
            name="http_request",
            minute=NOW - timedelta(days=1, minutes=offset),
            field="recent",
            value=9,
        )


def _metrics(summary: dict[str, Any]) -> dict[str, Any]:
    return next(s for s in summary["sources"] if s["source"] == "metric_minutes")


@pytest.mark.usefixtures("metric_rows")
def test_old_rows_go_to_a_readable_file_and_only_they_are_deleted() -> None:
    summary = _metrics(archive_old_rows(now=NOW))

    path = Path(summary["path"])
    rows = list(archive_read(path))
    assert sorted(row["field"] for row in rows) == ["f0", "f1", "f2"]
    assert {row["name"] for row in rows} == {"http_request"}
    assert summary["rows"] == summary["deleted"] == 3
    checksum = path.with_name(path.name + ".sha256").read_text().split()
    assert checksum == [hashlib.sha256(path.read_bytes()).hexdigest(), path.name]
    assert summary["sha256"] == checksum[0]
    assert list(MetricMinute.objects.values_list("field", flat=True)) == ["recent", "recent"]


@pytest.mark.usefixtures("metric_rows")
def test_a_second_run_archives_nothing(backup_dir: Path) -> None:
    archive_old_rows(now=NOW)
    files = sorted(backup_dir.rglob("*"))

    again = _metrics(archive_old_rows(now=NOW + timedelta(hours=1)))

    assert again["rows"] == 0
    assert "path" not in again
    assert sorted(backup_dir.rglob("*")) == files


@pytest.mark.usefixtures("metric_rows")
def test_a_dry_run_counts_and_changes_nothing(backup_dir: Path) -> None:
    summary = _metrics(archive_old_rows(now=NOW, dry_run=True))

    assert summary["rows"] == 3
    assert MetricMinute.objects.count() == 5
    assert not backup_dir.exists()


@pytest.mark.usefixtures("metric_rows")
def test_an_unwritable_archive_directory_fails_with_nothing_deleted(
    settings: Any, tmp_path: Path
) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("a file where the backup directory should be")
    settings.BACKUP_DIR = blocker / "backups"

    with pytest.raises(MaintenanceJobFailed) as raised:
        archive_old_rows(now=NOW)

    assert "metric_minutes" in str(raised.value)
    assert MetricMinute.objects.count() == 5
