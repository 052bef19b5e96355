"""The PostgreSQL client programs and connections that backups and restores use.

The embedded server (peepers/embedded.py, package ``pgserver``) ships pg_dump/pg_restore of
its own version; with an external DATABASE_URL the programs come from PATH. Passwords go to
the child process through PGPASSWORD, never on its command line (visible in ``ps``).
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

import psycopg
from django.db import connection
from psycopg import sql

from operations.backups.errors import BackupToolFailed

SYSTEM_SCHEMAS = ("pg_catalog", "information_schema")


def pg_program(name: str) -> str:
    """Path of a PostgreSQL client program (embedded install first when it serves us)."""
    if not os.environ.get("DATABASE_URL"):
        spec = importlib.util.find_spec("pgserver")
        if spec is not None and spec.submodule_search_locations:
            candidate = Path(next(iter(spec.submodule_search_locations))) / "pginstall/bin" / name
            if candidate.exists():
                return str(candidate)
    found = shutil.which(name)
    if found is None:
        raise BackupToolFailed(f"{name} is not installed (not on PATH)")
    return found


def _params() -> dict[str, Any]:
    # The live connection's settings: under tests they name the test database.
    return dict(connection.settings_dict)


def current_database() -> str:
    return str(_params()["NAME"])


def client_args(*, database: str) -> list[str]:
    params = _params()
    args = ["--dbname", database]
    if params.get("HOST"):
        args += ["--host", str(params["HOST"])]
    if params.get("PORT"):
        args += ["--port", str(params["PORT"])]
    if params.get("USER"):
        args += ["--username", str(params["USER"])]
    return [*args, "--no-password"]


def client_env() -> dict[str, str]:
    env = dict(os.environ)
    password = _params().get("PASSWORD")
    if password:
        env["PGPASSWORD"] = str(password)
    return env


@contextmanager
def connect(*, database: str, autocommit: bool = True) -> Iterator[psycopg.Connection[Any]]:
    params = _params()
    kwargs: dict[str, Any] = {"dbname": database, "autocommit": autocommit}
    for key, name in (
        ("HOST", "host"),
        ("PORT", "port"),
        ("USER", "user"),
        ("PASSWORD", "password"),
    ):
        if params.get(key):
            kwargs[name] = str(params[key])
    with psycopg.connect(**kwargs) as conn:
        yield conn


def run_tool(args: Sequence[str], *, stdin: IO[bytes] | None = None) -> None:
    """Run a client program to completion; BackupToolFailed with its stderr tail if it fails."""
    # Fixed argv: a PostgreSQL client program and validated identifiers, no shell.
    result = subprocess.run(  # noqa: S603
        list(args), stdin=stdin, capture_output=True, env=client_env(), check=False
    )
    if result.returncode != 0:
        tail = result.stderr.decode(errors="replace")[-2000:]
        raise BackupToolFailed(f"{Path(args[0]).name} exited {result.returncode}: {tail}")


def table_counts(
    conn: psycopg.Connection[Any],
    *,
    schemas: Sequence[str] | None,
    checksums: dict[str, str] | None = None,
) -> dict[str, int]:
    """Exact ``COUNT(*)`` of every table in ``schemas`` (all user schemas when None), and, when
    a ``checksums`` dict is given, a checksum of each table's contents into it.

    Exact on purpose: reltuples is an estimate. The cost is one sequential scan per table,
    which for a large database is minutes; the dump itself reads every row anyway. The
    checksum is the sum of every row's hash (order-free, so no sort), in the same scan; rows
    are rendered with the session in UTC so timestamps read alike on both sides.
    """
    query = (
        "SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema') "
        "AND n.nspname NOT LIKE 'pg\\_%%'"
    )
    params: list[Any] = []
    if schemas is not None:
        query += " AND n.nspname = ANY(%s)"
        params.append(list(schemas))
    counts: dict[str, int] = {}
    with conn.cursor() as cursor:
        if checksums is not None:
            cursor.execute("SET TimeZone = 'UTC'")
        cursor.execute(query + " ORDER BY 1, 2", params)
        tables = cursor.fetchall()
        for schema, table in tables:
            if checksums is None:
                cursor.execute(
                    sql.SQL("SELECT count(*), '' FROM {}.{}").format(
                        sql.Identifier(schema), sql.Identifier(table)
                    )
                )
            else:
                cursor.execute(
                    sql.SQL(
                        "SELECT count(*), coalesce(sum(('x' || substr(md5(t::text), 1, 15))"
                        "::bit(60)::bigint), 0)::text FROM {}.{} AS t"
                    ).format(sql.Identifier(schema), sql.Identifier(table))
                )
            row = cursor.fetchone()
            key = f"{schema}.{table}"
            counts[key] = int(row[0]) if row else 0
            if checksums is not None:
                checksums[key] = str(row[1]) if row else "0"
    return counts
