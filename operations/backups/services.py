"""Backups: dump with pg_dump in one snapshot, count rows exactly, encrypt, keep by GFS.

A backup and its row counts come from one exported snapshot (``pg_dump --snapshot``), so the
counts that a restore is verified against are the counts of exactly what was dumped, however
busy the database was. The file is written as ``*.partial`` and renamed only once complete and
fsynced: a full disk or a failed pg_dump leaves a ``failed`` row and no file. With
``BACKUP_S3_URL`` set, the file is read back and checked, then uploaded (``offsite.py``); a
failed upload leaves the backup ``succeeded`` locally with ``upload_error`` and is raised.
"""

from __future__ import annotations

import hashlib
import logging
import os
import subprocess
import tempfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Literal

import psycopg
from django.conf import settings
from django.utils import timezone

from operations.backups.archive import CHUNK_SIZE, ArchiveWriter, archive_decrypt
from operations.backups.errors import (
    ArchiveCorrupted,
    BackupError,
    BackupNotRestorable,
    BackupUploadFailed,
    OffsiteStorageFailed,
)
from operations.backups.models import Backup, BackupKind, BackupStatus
from operations.backups.offsite import offsite_delete, offsite_download, offsite_upload
from operations.backups.postgres import (
    client_args,
    client_env,
    connect,
    current_database,
    pg_program,
    table_counts,
)
from tenants.models import Tenant

logger = logging.getLogger(__name__)

Progress = Callable[[str], None]
KEEP_DAILY, KEEP_WEEKLY, KEEP_MONTHLY = 7, 4, 12
# Failed runs have no file; their rows are kept this long as a record, then pruned.
FAILED_ROWS_KEPT = timedelta(days=31)


def _quiet(message: str) -> None:
    logger.info(message)


def backup_dir() -> Path:
    return Path(settings.BACKUP_DIR)


def backup_create(
    *,
    kind: Literal["daily", "full", "tenant"],
    tenant: Tenant | None = None,
    by: str,
    upload: bool = True,
    progress: Progress = _quiet,
) -> Backup:
    """Dump the database (or ``tenant``'s schema), encrypted, and record it; raises BackupError.

    The failure is recorded on the row (status ``failed``, the error) before it is raised.
    With off-site storage configured (and ``upload``), the finished file is uploaded; a failed
    upload raises BackupUploadFailed with the row ``succeeded`` and its ``upload_error`` set.
    """
    if (kind == "tenant") != (tenant is not None):
        raise BackupError("a tenant backup needs a tenant, and only a tenant backup takes one")
    started = timezone.now()
    schema = tenant.schema_name if tenant is not None else ""
    backup = Backup.objects.create(
        kind=kind, tenant_schema=schema, started_at=started, status=BackupStatus.RUNNING, by=by
    )
    name = f"{started:%Y%m%dT%H%M%S}-{schema or current_database()}-{backup.pk}.dump.enc"
    final = backup_dir() / kind / name
    partial = final.with_name(final.name + ".partial")
    upload = upload and offsite_configured()
    try:
        final.parent.mkdir(parents=True, exist_ok=True)
        progress(f"backup {backup.pk}: dumping {schema or 'the whole database'} to {final}")
        _dump(backup=backup, schema=schema or None, out=partial, progress=progress)
        if upload:  # never ship a file that does not read back whole
            _archive_check(backup=backup, path=partial)
        partial.rename(final)
    except (BackupError, OSError, psycopg.Error) as exc:
        partial.unlink(missing_ok=True)
        backup.status = BackupStatus.FAILED
        backup.error = f"{type(exc).__name__}: {exc}"[:4000]
        backup.finished_at = timezone.now()
        backup.save()
        logger.error("backup %s failed: %s", backup.pk, backup.error)
        if isinstance(exc, BackupError):
            raise
        raise BackupError(backup.error) from exc
    backup.path = str(final)
    backup.size_bytes = final.stat().st_size
    backup.status = BackupStatus.SUCCEEDED
    backup.finished_at = timezone.now()
    backup.save()
    progress(
        f"backup {backup.pk}: {backup.size_bytes} bytes, {len(backup.row_counts)} tables, "
        f"sha256 {backup.sha256_plain}"
    )
    if upload:
        backup_upload(backup=backup, progress=progress)
    return backup


def offsite_configured() -> bool:
    return bool(settings.BACKUP_S3_URL.strip())


def backup_upload(*, backup: Backup, progress: Progress = _quiet) -> Backup:
    """Upload a succeeded backup's local file to ``BACKUP_S3_URL`` and record where it went.

    Raises BackupUploadFailed after recording the error on the row (which stays ``succeeded``:
    the local file is good). Uploading again overwrites the same key with the same bytes.
    """
    if backup.status != BackupStatus.SUCCEEDED or not backup.path:
        raise BackupNotRestorable(f"backup {backup.pk} is {backup.status}, nothing to upload")
    path = Path(backup.path)
    progress(f"backup {backup.pk}: uploading {path.name} to {settings.BACKUP_S3_URL}")
    try:
        bucket, key = offsite_upload(
            backup=backup, path=path, relative=f"{backup.kind}/{path.name}"
        )
    except (OffsiteStorageFailed, OSError) as exc:
        backup.upload_error = f"{type(exc).__name__}: {exc}"[:4000]
        backup.save(update_fields=["upload_error"])
        logger.error("backup %s: upload failed: %s", backup.pk, backup.upload_error)
        raise BackupUploadFailed(
            f"backup {backup.pk} is kept locally at {path}, but its upload failed: "
            f"{backup.upload_error}",
            backup_id=backup.pk,
        ) from exc
    backup.s3_bucket, backup.s3_key = bucket, key
    backup.uploaded_at = timezone.now()
    backup.upload_error = ""
    backup.save(update_fields=["s3_bucket", "s3_key", "uploaded_at", "upload_error"])
    progress(f"backup {backup.pk}: uploaded to {backup.s3_url}")
    return backup


def backup_location(backup: Backup) -> str:
    """Where the backup's file can be read from: "local+S3", "local", "S3" or "none"."""
    local = bool(backup.path) and Path(backup.path).exists()
    offsite = bool(backup.s3_key and backup.uploaded_at)
    return {
        (True, True): "local+S3",
        (True, False): "local",
        (False, True): "S3",
        (False, False): "none",
    }[(local, offsite)]


def _dump(*, backup: Backup, schema: str | None, out: Path, progress: Progress) -> None:
    database = current_database()
    with connect(database=database, autocommit=False) as conn:
        conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        conn.read_only = True
        with conn.cursor() as cursor:
            cursor.execute("SELECT pg_export_snapshot()")
            row = cursor.fetchone()
            snapshot = str(row[0]) if row else ""
        checksums: dict[str, str] = {}
        backup.row_counts = table_counts(
            conn, schemas=[schema] if schema else None, checksums=checksums
        )
        backup.row_checksums = checksums
        progress(f"backup {backup.pk}: counted rows of {len(backup.row_counts)} tables")
        args = [pg_program("pg_dump"), "--format=custom", f"--snapshot={snapshot}"]
        args += client_args(database=database)
        if schema:
            # Quoted: a pattern matching this one schema literally (slugs hold "-").
            args += ["--schema", f'"{schema}"']
        plain = hashlib.sha256()
        with tempfile.TemporaryFile() as stderr, out.open("wb") as handle:
            writer = ArchiveWriter(handle)
            # Fixed argv of pg_dump, no shell.
            with subprocess.Popen(  # noqa: S603
                args, stdout=subprocess.PIPE, stderr=stderr, env=client_env()
            ) as process:
                assert process.stdout is not None
                try:
                    while chunk := process.stdout.read(CHUNK_SIZE):
                        plain.update(chunk)
                        writer.write(chunk)
                except BaseException:
                    # e.g. a full disk: stop pg_dump rather than wait on its full pipe.
                    process.kill()
                    raise
            returncode = process.returncode
            if returncode != 0:
                stderr.seek(0)
                tail = stderr.read().decode(errors="replace")[-2000:]
                raise BackupError(f"pg_dump exited {returncode}: {tail}")
            writer.close()
            handle.flush()
            os.fsync(handle.fileno())
        conn.rollback()
    backup.sha256_plain = plain.hexdigest()
    backup.sha256_encrypted = writer.sha256.hexdigest()


def backup_verify(*, backup: Backup, plain_out: Path | None = None) -> None:
    """Check the file's two checksums and every chunk's tag; optionally write the plain dump.

    The local file is read, or when it is gone the off-site copy (``backup_source``). Raises
    BackupNotRestorable (no file), ArchiveCorrupted or OffsiteStorageFailed, before anything
    is restored.
    """
    with backup_source(backup=backup) as path:
        _archive_check(backup=backup, path=path, plain_out=plain_out)


@contextmanager
def backup_source(*, backup: Backup) -> Iterator[Path]:
    """The backup's encrypted file: the local one, or, when that is gone and the backup was
    uploaded, its object downloaded to ``BACKUP_DIR/tmp`` (sha256 checked, deleted after)."""
    if backup.status != BackupStatus.SUCCEEDED or not (backup.path or backup.s3_key):
        raise BackupNotRestorable(f"backup {backup.pk} is {backup.status}")
    local = Path(backup.path) if backup.path else None
    if local is not None and local.exists():
        yield local
        return
    if not (backup.s3_key and backup.uploaded_at):
        raise BackupNotRestorable(f"backup {backup.pk}: {local} is missing")
    work = backup_dir() / "tmp"
    work.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=work) as scratch:
        downloaded = Path(scratch) / Path(backup.s3_key).name
        offsite_download(backup=backup, to=downloaded)
        yield downloaded


def _archive_check(*, backup: Backup, path: Path, plain_out: Path | None = None) -> None:
    encrypted = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK_SIZE):
            encrypted.update(chunk)
    if encrypted.hexdigest() != backup.sha256_encrypted:
        raise ArchiveCorrupted(f"backup {backup.pk}: the encrypted file's sha256 differs")
    plain = hashlib.sha256()
    with path.open("rb") as handle:
        sink = plain_out.open("wb") if plain_out is not None else None
        try:
            for chunk in archive_decrypt(handle):
                plain.update(chunk)
                if sink is not None:
                    sink.write(chunk)
        finally:
            if sink is not None:
                sink.close()
    if plain.hexdigest() != backup.sha256_plain:
        raise ArchiveCorrupted(f"backup {backup.pk}: the dump's sha256 differs")


def backup_prune(*, now: datetime | None = None) -> list[int]:
    """Delete files and rows beyond 7 daily, 4 weekly, 12 monthly; returns the pruned ids.

    Each series is pruned on its own: the whole database (daily and full together) and each
    store's schema. The newest successful backup of a series is always kept. An off-site copy
    is deleted first (one already gone is fine); when that fails, the backup's row and file
    are kept for the next prune, and OffsiteStorageFailed is raised once the rest is pruned.
    """
    now = now or timezone.now()
    pruned: list[int] = []
    undeleted: list[str] = []
    whole = Backup.objects.filter(kind__in=[BackupKind.DAILY, BackupKind.FULL])
    series = [whole] + [
        Backup.objects.filter(kind=BackupKind.TENANT, tenant_schema=schema)
        for schema in Backup.objects.filter(kind=BackupKind.TENANT)
        .order_by()
        .values_list("tenant_schema", flat=True)
        .distinct()
    ]
    for backups in series:
        done = list(backups.filter(status=BackupStatus.SUCCEEDED).order_by("-started_at"))
        keep = backups_to_keep(done)
        for backup in done:
            if backup.pk not in keep:
                if backup.s3_key:
                    try:
                        offsite_delete(backup=backup)
                    except OffsiteStorageFailed as exc:
                        logger.error("backup %s: not pruned: %s", backup.pk, exc)
                        undeleted.append(f"backup {backup.pk}: {exc}")
                        continue
                if backup.path:
                    Path(backup.path).unlink(missing_ok=True)
                pruned.append(backup.pk)
                backup.delete()
    old_failed = Backup.objects.filter(
        status=BackupStatus.FAILED, started_at__lt=now - FAILED_ROWS_KEPT
    )
    pruned += list(old_failed.values_list("pk", flat=True))
    old_failed.delete()
    if undeleted:
        raise OffsiteStorageFailed(
            f"pruned {len(pruned)} backup(s); kept {len(undeleted)} whose off-site copy could "
            "not be deleted (retried on the next prune): " + "; ".join(undeleted)
        )
    return pruned


def backups_to_keep(newest_first: Iterable[Backup]) -> set[int]:
    """Grandfather-father-son: newest of each of the last 7 days, 4 ISO weeks and 12 months."""
    backups = list(newest_first)
    keep: set[int] = {backups[0].pk} if backups else set()
    tiers: list[tuple[int, Callable[[datetime], object]]] = [
        (KEEP_DAILY, lambda at: at.date()),
        (KEEP_WEEKLY, lambda at: at.isocalendar()[:2]),
        (KEEP_MONTHLY, lambda at: (at.year, at.month)),
    ]
    for limit, period_of in tiers:
        seen: set[object] = set()
        for backup in backups:
            period = period_of(timezone.localtime(backup.started_at))
            if period in seen:
                continue
            if len(seen) == limit:
                break
            seen.add(period)
            keep.add(backup.pk)
    return keep
