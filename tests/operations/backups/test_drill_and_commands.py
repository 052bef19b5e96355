"""The monthly restore drill records its outcome and alerts; the commands exit 1 on failure."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.db import connection

from operations.backups.models import Backup, Restore, RestoreOutcome
from operations.backups.services import backup_create
from operations.backups.tasks import restore_drill

pytestmark = pytest.mark.usefixtures("committed_db")


def _database_exists(name_prefix: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname LIKE %s", [name_prefix + "%"])
        return cursor.fetchone() is not None


def test_drill_restores_the_latest_full_backup_verifies_and_drops_it(settings: Any) -> None:
    settings.ADMINS = [("Staff", "oncall@peepers.test")]
    backup = backup_create(kind="full", by="test")

    result = restore_drill.apply().get()

    drill = Restore.objects.get(pk=result["restore_id"])
    assert drill.is_drill
    assert drill.backup_id == backup.pk
    assert drill.outcome == RestoreOutcome.VERIFIED, drill.error or drill.diff
    assert not _database_exists("peepers_drill_")
    assert mail.outbox == []


def test_drill_without_a_full_backup_fails_loudly(
    settings: Any, caplog: pytest.LogCaptureFixture
) -> None:
    settings.ADMINS = [("Staff", "oncall@peepers.test")]

    result = restore_drill.apply().get()

    drill = Restore.objects.get(pk=result["restore_id"])
    assert drill.outcome == RestoreOutcome.FAILED
    assert "no successful full backup" in drill.error
    assert any(r.levelname == "ERROR" and "restore drill" in r.message for r in caplog.records)
    assert len(mail.outbox) == 1
    assert "drill failed" in mail.outbox[0].subject


def test_backup_then_restore_commands(capsys: pytest.CaptureFixture[str]) -> None:
    from tenants.models import Tenant

    tenant = Tenant.objects.get(schema_name="tenant-b")
    call_command("backup", "daily", "--tenant", str(tenant.public_id), "--no-prune")
    backup = Backup.objects.get()
    call_command("restore", "--backup", str(backup.pk), "--verify-only")
    call_command("restore", "--backup", str(backup.pk), "--schema", "restored_b")

    out = capsys.readouterr().out
    assert f"backup {backup.pk} ok" in out
    assert "checksums and authentication tags ok" in out
    assert "verified" in out


def test_restore_command_exits_1_on_a_corrupted_file() -> None:
    backup = backup_create(kind="full", by="test")
    path = Path(backup.path)
    path.write_bytes(path.read_bytes()[:-1] + b"\0")

    with pytest.raises(CommandError) as raised:
        call_command("restore", "--backup", str(backup.pk), "--verify-only")
    assert raised.value.returncode == 1
