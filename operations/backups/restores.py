"""Restores into a NEW database or schema (never over live data), verified by exact row counts.

A tenant backup restored into a new schema goes through a scratch database: the public
schema's definitions (no data; the store's triggers call its functions) from our database,
then pg_restore of the store there, ``ALTER SCHEMA old RENAME TO new``, pg_dump that one
schema and pg_restore it into ours in a single transaction. pg_restore cannot rename a
schema, and rewriting the SQL text would also rewrite any data that happens to contain the
schema's name; the scratch database costs a second dump of one store, which is small.
"""

from __future__ import annotations

import logging
import re
import tempfile
from pathlib import Path

import psycopg
from django.utils import timezone
from psycopg import sql

from operations.backups.errors import (
    BackupError,
    BackupNotRestorable,
    RestoreTargetExists,
    RestoreTargetInvalid,
)
from operations.backups.models import Backup, BackupKind, BackupStatus, Restore, RestoreOutcome
from operations.backups.postgres import (
    client_args,
    connect,
    current_database,
    pg_program,
    run_tool,
    table_counts,
)
from operations.backups.services import Progress, _quiet, backup_dir, backup_verify

logger = logging.getLogger(__name__)

_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
_SCHEMA = re.compile(r"^[a-z_][a-z0-9_-]{0,62}$")  # stores' schemas are their slugs (hyphens)


def restore_create(
    *,
    backup: Backup,
    database: str | None = None,
    schema: str | None = None,
    by: str,
    is_drill: bool = False,
    progress: Progress = _quiet,
) -> Restore:
    """Restore ``backup`` into a new ``database``, or (tenant backups) a new ``schema``.

    Bad arguments raise before anything is recorded. Everything after is recorded on the
    returned row: ``verified``, ``mismatch`` (with the per-table diff) or ``failed`` (with the
    error; a corrupted archive fails before anything is created, a failed pg_restore drops
    what it created).
    """
    _check_target(backup=backup, database=database, schema=schema)
    restore = Restore.objects.create(
        backup=backup,
        target_database=database or "",
        target_schema=schema or "",
        is_drill=is_drill,
        started_at=timezone.now(),
        outcome=RestoreOutcome.RUNNING,
        by=by,
    )
    work = backup_dir() / "tmp"
    try:
        work.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=work) as scratch_dir:
            plain = Path(scratch_dir) / "plain.dump"
            progress(f"restore {restore.pk}: decrypting and checking backup {backup.pk}")
            backup_verify(backup=backup, plain_out=plain)
            checksums: dict[str, str] = {}
            if database is not None:
                counts = _into_database(
                    dump=plain, database=database, backup=backup, checksums=checksums
                )
            else:
                assert schema is not None
                counts = _into_schema(
                    dump=plain,
                    schema=schema,
                    backup=backup,
                    restore=restore,
                    work=scratch_dir,
                    checksums=checksums,
                )
    except (BackupError, OSError, psycopg.Error) as exc:
        restore.outcome = RestoreOutcome.FAILED
        restore.error = f"{type(exc).__name__}: {exc}"[:4000]
        restore.finished_at = timezone.now()
        restore.save()
        progress(f"restore {restore.pk}: FAILED: {restore.error}")
        return restore
    rename = {backup.tenant_schema: schema} if schema else {}
    restore.diff = count_diff(expected=backup.row_counts, restored=counts, rename=rename)
    if backup.row_checksums:  # backups taken before checksums were recorded compare counts only
        for key, sums in checksum_diff(
            expected=backup.row_checksums, restored=checksums, rename=rename
        ).items():
            restore.diff.setdefault(key, {}).update(sums)
    restore.tables_checked = len(backup.row_counts)
    restore.outcome = RestoreOutcome.MISMATCH if restore.diff else RestoreOutcome.VERIFIED
    restore.finished_at = timezone.now()
    restore.save()
    progress(
        f"restore {restore.pk}: {restore.outcome}, {restore.tables_checked} tables checked"
        + (f", differences: {restore.diff}" if restore.diff else "")
    )
    return restore


def count_diff(
    *, expected: dict[str, int], restored: dict[str, int], rename: dict[str, str]
) -> dict[str, dict[str, int | None]]:
    """Tables whose restored count differs from the backup's (None: the table is missing)."""

    def renamed(key: str) -> str:
        schema, _, table = key.partition(".")
        return f"{rename.get(schema, schema)}.{table}"

    wanted = {renamed(key): count for key, count in expected.items()}
    diff: dict[str, dict[str, int | None]] = {}
    for key in sorted(set(wanted) | set(restored)):
        if wanted.get(key) != restored.get(key):
            diff[key] = {"expected": wanted.get(key), "restored": restored.get(key)}
    return diff


def checksum_diff(
    *, expected: dict[str, str], restored: dict[str, str], rename: dict[str, str]
) -> dict[str, dict[str, str | None]]:
    """Tables whose restored contents differ from the backup's (same count, other rows)."""

    def renamed(key: str) -> str:
        schema, _, table = key.partition(".")
        return f"{rename.get(schema, schema)}.{table}"

    wanted = {renamed(key): value for key, value in expected.items()}
    return {
        key: {"expected_checksum": wanted.get(key), "restored_checksum": restored.get(key)}
        for key in sorted(set(wanted) | set(restored))
        if wanted.get(key) != restored.get(key)
    }


def _check_target(*, backup: Backup, database: str | None, schema: str | None) -> None:
    if backup.status != BackupStatus.SUCCEEDED:
        raise BackupNotRestorable(f"backup {backup.pk} is {backup.status}")
    if (database is None) == (schema is None):
        raise RestoreTargetInvalid("restore into a new database or a new schema, one of them")
    name = database if database is not None else schema
    pattern = _IDENTIFIER if database is not None else _SCHEMA
    if not name or not pattern.match(name):
        raise RestoreTargetInvalid(f"{name!r} is not a plain lower-case identifier")
    if schema is not None and backup.kind != BackupKind.TENANT:
        raise RestoreTargetInvalid("only a store's backup restores into a schema")
    with connect(database=current_database()) as conn, conn.cursor() as cursor:
        if database is not None:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [database])
        else:
            cursor.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", [schema])
        if cursor.fetchone():
            raise RestoreTargetExists(f"{name} exists already; restores never overwrite")


def database_create(name: str) -> None:
    with connect(database=current_database()) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def database_drop(name: str) -> None:
    with connect(database=current_database()) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


def _pg_restore(*, dump: Path, database: str, single_transaction: bool = False) -> None:
    args = [pg_program("pg_restore"), "--no-owner", "--no-privileges", "--exit-on-error"]
    if single_transaction:
        args.append("--single-transaction")
    run_tool(args + client_args(database=database) + [str(dump)])


def _schemas_of(backup: Backup) -> list[str]:
    return sorted({key.partition(".")[0] for key in backup.row_counts})


def _into_database(
    *, dump: Path, database: str, backup: Backup, checksums: dict[str, str]
) -> dict[str, int]:
    database_create(database)
    try:
        _pg_restore(dump=dump, database=database)
        with connect(database=database) as conn:
            return table_counts(conn, schemas=_schemas_of(backup), checksums=checksums)
    except BaseException:
        database_drop(database)
        raise


def _into_schema(
    *,
    dump: Path,
    schema: str,
    backup: Backup,
    restore: Restore,
    work: str,
    checksums: dict[str, str],
) -> dict[str, int]:
    scratch = f"peepers_restore_scratch_{restore.pk}"
    database_create(scratch)
    try:
        # A store's tables use public objects (trigger functions, types): bring their
        # definitions, without data, from our database so the store's dump restores.
        public = Path(work) / "public-schema.dump"
        run_tool(
            [
                pg_program("pg_dump"),
                "--format=custom",
                "--schema-only",
                f"--file={public}",
                "--schema",
                "public",
                *client_args(database=current_database()),
            ]
        )
        with connect(database=scratch) as conn:
            conn.execute("DROP SCHEMA public CASCADE")  # the dump creates it
        _pg_restore(dump=public, database=scratch)
        _pg_restore(dump=dump, database=scratch)
        if schema != backup.tenant_schema:  # else: the store's own schema, dropped, comes back
            with connect(database=scratch) as conn:
                conn.execute(
                    sql.SQL("ALTER SCHEMA {} RENAME TO {}").format(
                        sql.Identifier(backup.tenant_schema), sql.Identifier(schema)
                    )
                )
        renamed = Path(work) / "renamed.dump"
        run_tool(
            [
                pg_program("pg_dump"),
                "--format=custom",
                f"--file={renamed}",
                "--schema",
                schema,
                *client_args(database=scratch),
            ]
        )
    finally:
        database_drop(scratch)
    _pg_restore(dump=renamed, database=current_database(), single_transaction=True)
    with connect(database=current_database()) as conn:
        return table_counts(conn, schemas=[schema], checksums=checksums)


def restore_drill(*, by: str, now: str | None = None) -> Restore:
    """Restore the latest full backup into a scratch database, verify it, drop it, record it.

    A drill that does not end ``verified`` is logged as an ERROR; the task that runs it
    (``backups.restore_drill``, through ``maintenance_run``) records the run as failed and
    opens the P1 incident ``maintenance-failed:restore_drill``.
    """
    stamp = now or timezone.now().strftime("%Y%m%d%H%M%S")
    database = f"peepers_drill_{stamp}"
    latest = (
        Backup.objects.filter(kind=BackupKind.FULL, status=BackupStatus.SUCCEEDED)
        .order_by("-started_at")
        .first()
    )
    if latest is None:
        restore = _drill_failed(database=database, by=by, error="no successful full backup")
    else:
        try:
            restore = restore_create(backup=latest, database=database, by=by, is_drill=True)
        except (BackupError, psycopg.Error) as exc:
            restore = _drill_failed(
                database=database, by=by, error=f"{type(exc).__name__}: {exc}", backup=latest
            )
        finally:
            database_drop(database)
    if restore.outcome != RestoreOutcome.VERIFIED:
        message = f"restore drill {restore.pk} {restore.outcome}: {restore.error or restore.diff}"
        logger.error(message)
    return restore


def _drill_failed(*, database: str, by: str, error: str, backup: Backup | None = None) -> Restore:
    return Restore.objects.create(
        backup=backup,
        target_database=database,
        is_drill=True,
        started_at=timezone.now(),
        finished_at=timezone.now(),
        outcome=RestoreOutcome.FAILED,
        error=error[:4000],
        by=by,
    )
