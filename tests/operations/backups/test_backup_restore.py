"""Backups restore: a store into a new schema, the database into a new one, tampering refused."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.db import connection
from django_tenants.utils import tenant_context

from operations.backups.errors import ArchiveCorrupted, RestoreTargetExists
from operations.backups.models import Backup, BackupStatus, RestoreOutcome
from operations.backups.postgres import connect, current_database, table_counts
from operations.backups.restores import database_drop, restore_create
from operations.backups.services import backup_create, backup_verify
from tenants.models import Tenant
from tenants.services import tenant_create
from tests.support.db import OWNER_PASSWORD
from users.models import User

pytestmark = pytest.mark.usefixtures("committed_db")


def _store_with_users(count: int) -> Tenant:
    tenant = Tenant.objects.get(schema_name="tenant-a")
    with tenant_context(tenant):
        for n in range(count):
            User.objects.create_user(f"seller{n}@a.example.com", "a-long-password-1")
    return tenant


def _count(schema: str, table: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT count(*) FROM "{schema}"."{table}"')
        row = cursor.fetchone()
    assert row is not None
    return int(row[0])


def _schema_exists(name: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", [name])
        return cursor.fetchone() is not None


def test_store_backup_restores_into_a_new_schema_with_equal_counts() -> None:
    tenant = _store_with_users(3)
    users_table = User._meta.db_table

    backup = backup_create(kind="tenant", tenant=tenant, by="test")
    restore = restore_create(backup=backup, schema="restored_a", by="test")

    assert backup.status == BackupStatus.SUCCEEDED
    assert backup.row_counts[f"tenant-a.{users_table}"] == 4  # the owner and three sellers
    assert all(key.startswith("tenant-a.") for key in backup.row_counts)
    assert restore.outcome == RestoreOutcome.VERIFIED, restore.error or restore.diff
    assert restore.diff == {}
    assert restore.tables_checked == len(backup.row_counts)
    assert _count("restored_a", users_table) == _count("tenant-a", users_table) == 4


def test_restore_never_overwrites_an_existing_schema() -> None:
    backup = backup_create(kind="tenant", tenant=_store_with_users(0), by="test")

    with pytest.raises(RestoreTargetExists):
        restore_create(backup=backup, schema="tenant_template", by="test")


def _flip_byte(path: Path, at: int) -> None:
    data = bytearray(path.read_bytes())
    data[at] ^= 0x01
    path.write_bytes(bytes(data))


def test_tampered_archive_is_refused_before_anything_is_restored() -> None:
    backup = backup_create(kind="tenant", tenant=_store_with_users(1), by="test")
    path = Path(backup.path)
    _flip_byte(path, path.stat().st_size // 2)

    with pytest.raises(ArchiveCorrupted, match="encrypted file's sha256"):
        backup_verify(backup=backup)
    restore = restore_create(backup=backup, schema="tampered_a", by="test")

    assert restore.outcome == RestoreOutcome.FAILED
    assert "ArchiveCorrupted" in restore.error
    assert not _schema_exists("tampered_a")


def test_tampering_that_also_fixes_the_recorded_checksum_fails_the_authentication_tag() -> None:
    import hashlib

    backup = backup_create(kind="tenant", tenant=_store_with_users(1), by="test")
    path = Path(backup.path)
    _flip_byte(path, path.stat().st_size - 5)
    Backup.objects.filter(pk=backup.pk).update(
        sha256_encrypted=hashlib.sha256(path.read_bytes()).hexdigest()
    )
    backup.refresh_from_db()

    with pytest.raises(ArchiveCorrupted, match="authentication tag"):
        backup_verify(backup=backup)


def test_truncated_archive_is_refused() -> None:
    import hashlib

    backup = backup_create(kind="tenant", tenant=_store_with_users(1), by="test")
    path = Path(backup.path)
    path.write_bytes(path.read_bytes()[:-100])
    Backup.objects.filter(pk=backup.pk).update(
        sha256_encrypted=hashlib.sha256(path.read_bytes()).hexdigest()
    )
    backup.refresh_from_db()

    with pytest.raises(ArchiveCorrupted, match="truncated"):
        backup_verify(backup=backup)


def test_full_backup_restores_into_a_new_database_and_verifies() -> None:
    _store_with_users(2)
    backup = backup_create(kind="full", by="test")
    target = f"{connection.settings_dict['NAME']}_restored"
    try:
        restore = restore_create(backup=backup, database=target, by="test")
    finally:
        database_drop(target)

    assert restore.outcome == RestoreOutcome.VERIFIED, restore.error or restore.diff
    assert any(key.startswith("tenant-b.") for key in backup.row_counts)
    assert any(key.startswith("public.") for key in backup.row_counts)
    assert restore.tables_checked == len(backup.row_counts) > 0


def _contents(schema: str) -> tuple[dict[str, int], dict[str, str]]:
    checksums: dict[str, str] = {}
    with connect(database=current_database()) as conn:
        counts = table_counts(conn, schemas=[schema], checksums=checksums)
    return counts, checksums


def test_a_dropped_store_comes_back_from_its_backup_with_identical_counts_and_checksums() -> None:
    tenant = tenant_create(
        name="Store C",
        slug="tenant-c",
        owner_email="owner@c.example.com",
        owner_password=OWNER_PASSWORD,
        plan_code="starter",
        terms_accepted=True,
        channel="command",
    ).tenant
    with tenant_context(tenant):
        for n in range(5):
            User.objects.create_user(f"seller{n}@c.example.com", "a-long-password-1")
    counts, checksums = _contents("tenant-c")
    backup = backup_create(kind="tenant", tenant=tenant, by="test")

    with connection.cursor() as cursor:
        cursor.execute('DROP SCHEMA "tenant-c" CASCADE')
    assert not _schema_exists("tenant-c")
    restore = restore_create(backup=backup, schema="tenant-c", by="test")

    assert restore.outcome == RestoreOutcome.VERIFIED, restore.error or restore.diff
    assert backup.row_checksums == checksums
    assert _contents("tenant-c") == (counts, checksums)
    assert counts[f"tenant-c.{User._meta.db_table}"] == 6
    with tenant_context(tenant):
        assert User.objects.filter(email__endswith="@c.example.com").count() == 6


def test_a_restore_whose_rows_differ_from_the_backup_is_a_mismatch() -> None:
    tenant = _store_with_users(2)
    backup = backup_create(kind="tenant", tenant=tenant, by="test")
    table = User._meta.db_table
    real = backup.row_checksums[f"tenant-a.{table}"]
    # As if the dump had missed an update: same row count, different contents.
    Backup.objects.filter(pk=backup.pk).update(
        row_checksums={**backup.row_checksums, f"tenant-a.{table}": "1"}
    )
    backup.refresh_from_db()

    restore = restore_create(backup=backup, schema="restored_mismatch", by="test")

    assert restore.outcome == RestoreOutcome.MISMATCH
    assert restore.diff == {
        f"restored_mismatch.{table}": {"expected_checksum": "1", "restored_checksum": real}
    }
