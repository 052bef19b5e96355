"""``archive``: rows nobody reads live any more, moved to compressed, encrypted files.

Each source's old rows are read in one REPEATABLE READ snapshot (PostgreSQL's own JSON of each
row, one per line), gzipped and encrypted with the backups' ``ArchiveWriter`` into
``BACKUP_DIR/archive/<source>/…jsonl.gz.enc.partial``, fsynced and renamed, with a
``.sha256`` beside it (``sha256sum -c`` format); only then are the same rows deleted, in the
same transaction and snapshot, and the count deleted must equal the count written or nothing is.
A failure anywhere leaves the rows and removes the file. A second run finds nothing to archive.

Not archived: the ML notification and Stripe event inboxes. Retention
(``compliance/retention``) deletes their finished rows after 30 days because they hold personal
data; a copy in an archive file would keep it past its legal period.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import IO, Any

import psycopg
from django.conf import settings
from django.db import models
from django_tenants.utils import get_public_schema_name
from psycopg import sql

from operations.backups.archive import ArchiveWriter, archive_decrypt
from operations.backups.errors import BackupError
from operations.backups.postgres import connect, current_database
from operations.maintenance.errors import ArchiveFailed, MaintenanceJobFailed
from operations.maintenance.models import MaintenanceRun, Outcome
from operations.models import MetricMinute

FETCH_BATCH_SIZE = 2000


@dataclass(frozen=True)
class ArchiveSource:
    name: str
    model: type[models.Model]
    time_column: str
    keep: timedelta
    condition: str = "TRUE"  # a constant SQL condition on top of the age

    def where(self, cutoff: datetime) -> tuple[sql.Composable, list[Any]]:
        clause = sql.SQL("{} < %s AND ({})").format(
            sql.Identifier(self.time_column),
            sql.SQL(self.condition),
        )
        return clause, [cutoff]


SOURCES = [
    ArchiveSource("metric_minutes", MetricMinute, "minute", timedelta(days=90)),
    ArchiveSource(
        "maintenance_runs",
        MaintenanceRun,
        "started_at",
        timedelta(days=365),
        f"outcome <> '{Outcome.RUNNING.value}'",
    ),
]


def archive_dir() -> Path:
    return Path(settings.BACKUP_DIR) / "archive"


def _table(source: ArchiveSource) -> sql.Composable:
    return sql.Identifier(get_public_schema_name(), source.model._meta.db_table)


class _GzipSink:
    """A binary sink for ``gzip.GzipFile`` that encrypts into ``out`` as it goes."""

    def __init__(self, out: IO[bytes]) -> None:
        self.writer = ArchiveWriter(out)

    def write(self, data: bytes) -> int:
        self.writer.write(bytes(data))
        return len(data)

    def flush(self) -> None:
        """Chunks are emitted as they fill; the last one on ``close``."""


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _count(
    conn: psycopg.Connection[Any], source: ArchiveSource, cutoff: datetime
) -> tuple[int, int]:
    where, params = source.where(cutoff)
    query = sql.SQL("SELECT count(*), coalesce(max(id), 0) FROM {} WHERE {}").format(
        _table(source), where
    )
    row = conn.execute(query, params).fetchone()
    assert row is not None
    return int(row[0]), int(row[1])


def archive_source(
    *, source: ArchiveSource, now: datetime, dry_run: bool = False
) -> dict[str, Any]:
    """Archive then delete ``source``'s rows older than its keep period; raises ArchiveFailed
    (with nothing deleted) when the file cannot be written or the delete does not match."""
    cutoff = now - source.keep
    summary: dict[str, Any] = {"source": source.name, "cutoff": cutoff.isoformat(), "rows": 0}
    final: Path | None = None
    checksum: Path | None = None
    try:
        with connect(database=current_database(), autocommit=False) as conn:
            conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
            rows, max_id = _count(conn, source, cutoff)
            summary["rows"] = rows
            if rows == 0 or dry_run:
                conn.rollback()
                return summary
            directory = archive_dir() / source.name
            directory.mkdir(parents=True, exist_ok=True)
            name = f"{source.name}-before-{cutoff:%Y%m%dT%H%M%S}-{now:%Y%m%dT%H%M%S}.jsonl.gz.enc"
            final = directory / name
            partial = final.with_name(final.name + ".partial")
            written, plain = _write(conn, source, cutoff, max_id, partial)
            if written != rows:
                raise ArchiveFailed(f"{source.name}: counted {rows} rows but wrote {written}")
            partial.rename(final)
            _fsync_dir(directory)
            digest = _sha256_file(final)
            checksum = final.with_name(final.name + ".sha256")
            with checksum.open("w") as handle:
                handle.write(f"{digest}  {final.name}\n")
                handle.flush()
                os.fsync(handle.fileno())
            where, params = source.where(cutoff)
            deleted = conn.execute(
                sql.SQL("DELETE FROM {} WHERE {} AND id <= %s").format(_table(source), where),
                [*params, max_id],
            ).rowcount
            if deleted != written:
                raise ArchiveFailed(
                    f"{source.name}: wrote {written} rows but would delete {deleted}"
                )
            conn.commit()
    except (OSError, psycopg.Error, BackupError, ArchiveFailed) as exc:
        for path in (final, checksum):
            if path is not None:
                path.unlink(missing_ok=True)
                path.with_name(path.name + ".partial").unlink(missing_ok=True)
        if isinstance(exc, ArchiveFailed):
            raise
        raise ArchiveFailed(f"{source.name}: {type(exc).__name__}: {exc}") from exc
    summary.update(path=str(final), sha256=digest, sha256_plain=plain, deleted=deleted)
    return summary


def _write(
    conn: psycopg.Connection[Any], source: ArchiveSource, cutoff: datetime, max_id: int, out: Path
) -> tuple[int, str]:
    where, params = source.where(cutoff)
    query = sql.SQL(
        "SELECT row_to_json(t)::text FROM {} AS t WHERE {} AND id <= %s ORDER BY id"
    ).format(_table(source), where)
    plain = hashlib.sha256()
    written = 0
    try:
        with out.open("wb") as handle:
            sink = _GzipSink(handle)
            with (
                gzip.GzipFile(fileobj=sink, mode="wb", mtime=0) as zipped,
                conn.cursor(name=f"archive_{source.name}") as cursor,
            ):
                cursor.itersize = FETCH_BATCH_SIZE
                cursor.execute(query, [*params, max_id])
                for (line,) in cursor:
                    data = line.encode() + b"\n"
                    plain.update(data)
                    zipped.write(data)
                    written += 1
            sink.writer.close()
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException:
        out.unlink(missing_ok=True)
        raise
    return written, plain.hexdigest()


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()


def archive_read(path: Path) -> Iterator[dict[str, Any]]:
    """The rows of an archive file, decrypted and decompressed (raises on any tampering)."""
    inflate = zlib.decompressobj(16 + zlib.MAX_WBITS)
    pending = b""
    with path.open("rb") as handle:
        for chunk in archive_decrypt(handle):
            pending += inflate.decompress(chunk)
            *lines, pending = pending.split(b"\n")
            for line in lines:
                yield json.loads(line)
    pending += inflate.flush()
    for line in pending.split(b"\n"):
        if line:
            yield json.loads(line)


def archive_old_rows(*, now: datetime, dry_run: bool = False) -> dict[str, Any]:
    """Every source in turn; one failing does not stop the others, and fails the job."""
    results = []
    errors = []
    for source in SOURCES:
        try:
            results.append(archive_source(source=source, now=now, dry_run=dry_run))
        except ArchiveFailed as exc:
            errors.append(str(exc))
            results.append({"source": source.name, "error": str(exc)})
    summary = {"dry_run": dry_run, "sources": results}
    if errors:
        raise MaintenanceJobFailed("; ".join(errors), summary=summary)
    return summary
