"""Off-site copies on S3-compatible storage, against moto's S3 server over real HTTP: uploaded
with their sha256, pruned with their backup, restored from when the local file is gone, refused
when corrupted, and a failed upload keeps the backup locally and fails the scheduled run."""

from __future__ import annotations

import hashlib
import os
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from django.core import mail
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone
from django_tenants.utils import tenant_context
from moto.server import ThreadedMotoServer
from mypy_boto3_s3.client import S3Client

from operations.backups import offsite
from operations.backups.errors import (
    ArchiveCorrupted,
    BackupNotRestorable,
    BackupUploadFailed,
    OffsiteStorageFailed,
)
from operations.backups.models import Backup, BackupStatus, RestoreOutcome
from operations.backups.postgres import connect, current_database, table_counts
from operations.backups.restores import restore_create
from operations.backups.services import (
    backup_create,
    backup_location,
    backup_prune,
    backup_verify,
)
from operations.backups.tasks import backup_daily
from operations.maintenance.models import MaintenanceRun, Outcome
from tenants.models import Tenant
from tenants.services import tenant_create
from tests.support.db import OWNER_PASSWORD
from users.models import User

pytestmark = pytest.mark.usefixtures("committed_db")

BUCKET = "peepers-backups"


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))


@pytest.fixture
def s3(settings: Any, s3_endpoint: str, aws_env: None) -> Iterator[S3Client]:
    settings.BACKUP_S3_URL = f"s3://{BUCKET}/peepers/test"
    settings.BACKUP_S3_ENDPOINT_URL = s3_endpoint
    settings.BACKUP_S3_REGION = "us-east-1"
    client = boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1")
    client.create_bucket(Bucket=BUCKET)
    yield client
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=BUCKET):
        for item in page.get("Contents", []):
            client.delete_object(Bucket=BUCKET, Key=item["Key"])
    client.delete_bucket(Bucket=BUCKET)


def _object_exists(client: S3Client, key: str) -> bool:
    try:
        client.head_object(Bucket=BUCKET, Key=key)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in {"404", "NoSuchKey"}:
            return False
        raise
    return True


def _store_with_users(count: int) -> Tenant:
    tenant = Tenant.objects.get(schema_name="tenant-a")
    with tenant_context(tenant):
        for n in range(count):
            User.objects.create_user(f"seller{n}@a.example.com", "a-long-password-1")
    return tenant


def _schema_exists(name: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", [name])
        return cursor.fetchone() is not None


def _contents(schema: str) -> tuple[dict[str, int], dict[str, str]]:
    checksums: dict[str, str] = {}
    with connect(database=current_database()) as conn:
        counts = table_counts(conn, schemas=[schema], checksums=checksums)
    return counts, checksums


def test_a_backup_is_uploaded_with_its_sha256_as_metadata(s3: S3Client) -> None:
    backup = backup_create(kind="tenant", tenant=_store_with_users(2), by="test")

    head = s3.head_object(Bucket=BUCKET, Key=backup.s3_key)
    stored = s3.get_object(Bucket=BUCKET, Key=backup.s3_key)["Body"].read()

    assert backup.status == BackupStatus.SUCCEEDED
    assert backup.s3_bucket == BUCKET
    assert backup.s3_key == f"peepers/test/tenant/{Path(backup.path).name}"
    assert backup.uploaded_at is not None
    assert backup.upload_error == ""
    assert head["Metadata"]["sha256"] == backup.sha256_encrypted
    assert head["ContentLength"] == backup.size_bytes
    assert hashlib.sha256(stored).hexdigest() == backup.sha256_encrypted
    assert stored == Path(backup.path).read_bytes()
    assert backup_location(backup) == "local+S3"


def test_a_large_file_goes_up_in_parts_and_its_etag_is_checked(
    s3: S3Client, backup_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(offsite, "PART_SIZE", 5 * 1024 * 1024)  # S3's smallest part
    path = backup_dir / "full" / "large.dump.enc"
    path.parent.mkdir(parents=True)
    path.write_bytes(os.urandom(11 * 1024 * 1024))
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    backup = Backup.objects.create(
        kind="full",
        path=str(path),
        size_bytes=path.stat().st_size,
        sha256_encrypted=digest,
        started_at=timezone.now(),
        status=BackupStatus.SUCCEEDED,
        by="test",
    )

    bucket, key = offsite.offsite_upload(backup=backup, path=path, relative="full/large.dump.enc")

    head = s3.head_object(Bucket=bucket, Key=key)
    assert head["ETag"].strip('"').endswith("-3")
    assert head["ETag"].strip('"') == offsite.expected_etag(path, size=path.stat().st_size)
    assert head["Metadata"]["sha256"] == digest


def test_prune_deletes_the_off_site_copy_and_a_missing_one_is_no_error(s3: S3Client) -> None:
    tenant = _store_with_users(0)
    older = backup_create(kind="tenant", tenant=tenant, by="test")
    old_gone = backup_create(kind="tenant", tenant=tenant, by="test")
    newest = backup_create(kind="tenant", tenant=tenant, by="test")
    s3.delete_object(Bucket=BUCKET, Key=old_gone.s3_key)

    pruned = backup_prune()

    assert sorted(pruned) == sorted([older.pk, old_gone.pk])  # same day: the newest is kept
    assert not _object_exists(s3, older.s3_key)
    assert not Path(older.path).exists()
    assert _object_exists(s3, newest.s3_key)
    assert list(Backup.objects.values_list("pk", flat=True)) == [newest.pk]


def test_a_store_comes_back_from_s3_when_the_local_file_is_gone(
    s3: S3Client, backup_dir: Path
) -> None:
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
        for n in range(4):
            User.objects.create_user(f"seller{n}@c.example.com", "a-long-password-1")
    counts, checksums = _contents("tenant-c")
    backup = backup_create(kind="tenant", tenant=tenant, by="test")
    Path(backup.path).unlink()
    with connection.cursor() as cursor:
        cursor.execute('DROP SCHEMA "tenant-c" CASCADE')
    assert backup_location(backup) == "S3"

    restore = restore_create(backup=backup, schema="tenant-c", by="test")

    assert restore.outcome == RestoreOutcome.VERIFIED, restore.error or restore.diff
    assert backup.row_checksums == checksums
    assert _contents("tenant-c") == (counts, checksums)
    assert counts[f"tenant-c.{User._meta.db_table}"] == 5
    assert list((backup_dir / "tmp").iterdir()) == []  # the download is not left behind


def test_a_corrupted_s3_object_is_refused_before_anything_is_restored(
    s3: S3Client, backup_dir: Path
) -> None:
    backup = backup_create(kind="tenant", tenant=_store_with_users(1), by="test")
    data = bytearray(Path(backup.path).read_bytes())
    data[len(data) // 2] ^= 0x01
    s3.put_object(Bucket=BUCKET, Key=backup.s3_key, Body=bytes(data))
    Path(backup.path).unlink()

    with pytest.raises(ArchiveCorrupted, match="is not the file that was uploaded"):
        backup_verify(backup=backup)
    restore = restore_create(backup=backup, schema="corrupted_a", by="test")

    assert restore.outcome == RestoreOutcome.FAILED
    assert "ArchiveCorrupted" in restore.error
    assert not _schema_exists("corrupted_a")
    assert list((backup_dir / "tmp").iterdir()) == []


def test_a_missing_s3_object_and_no_local_file_is_refused_clearly(s3: S3Client) -> None:
    backup = backup_create(kind="tenant", tenant=_store_with_users(0), by="test")
    s3.delete_object(Bucket=BUCKET, Key=backup.s3_key)
    Path(backup.path).unlink()

    with pytest.raises(BackupNotRestorable, match=r"no local file and s3://.* is missing"):
        backup_verify(backup=backup)
    restore = restore_create(backup=backup, schema="missing_a", by="test")

    assert restore.outcome == RestoreOutcome.FAILED
    assert "BackupNotRestorable" in restore.error
    assert not _schema_exists("missing_a")


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_unreachable_s3_keeps_the_backup_locally_records_and_raises_the_error(
    settings: Any, aws_env: None
) -> None:
    settings.BACKUP_S3_URL = f"s3://{BUCKET}/peepers"
    settings.BACKUP_S3_ENDPOINT_URL = f"http://127.0.0.1:{_closed_port()}"

    with pytest.raises(BackupUploadFailed, match="kept locally") as raised:
        backup_create(kind="tenant", tenant=_store_with_users(0), by="test")

    backup = Backup.objects.get(pk=raised.value.backup_id)
    assert backup.status == BackupStatus.SUCCEEDED
    assert Path(backup.path).exists()
    assert "EndpointConnectionError" in backup.upload_error
    assert backup.s3_key == ""
    assert backup.uploaded_at is None
    assert backup_location(backup) == "local"
    backup_verify(backup=backup)


def test_a_failed_upload_fails_the_scheduled_run_and_alerts(settings: Any, aws_env: None) -> None:
    settings.ADMINS = [("Staff", "oncall@peepers.test")]
    settings.BACKUP_S3_URL = f"s3://{BUCKET}/peepers"
    settings.BACKUP_S3_ENDPOINT_URL = f"http://127.0.0.1:{_closed_port()}"

    backup_daily.apply().get()

    run = MaintenanceRun.objects.get(job="backup_daily")
    backup = Backup.objects.get()
    assert run.outcome == Outcome.FAILED
    assert "BackupUploadFailed" in run.error
    assert backup.status == BackupStatus.SUCCEEDED
    assert backup.upload_error
    assert len(mail.outbox) == 1
    assert "failed" in mail.outbox[0].subject


def test_backup_command_no_upload_then_upload_and_list(
    s3: S3Client, capsys: pytest.CaptureFixture[str]
) -> None:
    tenant = Tenant.objects.get(schema_name="tenant-b")
    call_command("backup", "daily", "--tenant", str(tenant.public_id), "--no-upload")
    backup = Backup.objects.get()
    assert backup.s3_key == ""
    assert s3.list_objects_v2(Bucket=BUCKET).get("KeyCount") == 0

    call_command("backup", "--list")
    assert capsys.readouterr().out.rstrip().endswith("local")

    call_command("backup", "--upload", str(backup.pk))
    backup.refresh_from_db()
    assert _object_exists(s3, backup.s3_key)
    call_command("backup", "--list")
    assert capsys.readouterr().out.rstrip().endswith("local+S3")


def test_backup_command_exits_1_when_the_upload_fails(settings: Any, aws_env: None) -> None:
    settings.BACKUP_S3_URL = f"s3://{BUCKET}/peepers"
    settings.BACKUP_S3_ENDPOINT_URL = f"http://127.0.0.1:{_closed_port()}"
    tenant = Tenant.objects.get(schema_name="tenant-b")

    with pytest.raises(CommandError, match="backup kept locally") as raised:
        call_command("backup", "daily", "--tenant", str(tenant.public_id))

    assert raised.value.returncode == 1
    assert Backup.objects.get().status == BackupStatus.SUCCEEDED


def test_prune_keeps_a_backup_whose_object_cannot_be_deleted_and_raises(
    s3: S3Client, settings: Any
) -> None:
    tenant = _store_with_users(0)
    older = backup_create(kind="tenant", tenant=tenant, by="test")
    newest = backup_create(kind="tenant", tenant=tenant, by="test")
    s3_endpoint = settings.BACKUP_S3_ENDPOINT_URL
    settings.BACKUP_S3_ENDPOINT_URL = f"http://127.0.0.1:{_closed_port()}"

    with pytest.raises(OffsiteStorageFailed, match=f"backup {older.pk}"):
        backup_prune()

    assert set(Backup.objects.values_list("pk", flat=True)) == {older.pk, newest.pk}
    assert Path(older.path).exists()
    settings.BACKUP_S3_ENDPOINT_URL = s3_endpoint
    assert backup_prune() == [older.pk]
    assert not _object_exists(s3, older.s3_key)
