"""Which schemas have migrations left to apply, answered with one query for all of them.

``migrate_schemas`` uses it to skip schemas that are up to date (a no-op deploy over hundreds of
tenants then costs one query instead of one ``migrate`` per schema), ``--check`` and the health
endpoint use it to report drift.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from typing import Any

from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django_tenants.utils import quote_schema_name


@functools.cache
def expected_migrations() -> frozenset[str]:
    """Every migration in the code, as ``app.name``.

    django-tenants records all migrations (shared and tenant apps) in every schema's
    ``django_migrations``, so one set describes a fully migrated schema of either kind.
    """
    loader = MigrationLoader(None, ignore_no_migrations=True)
    return frozenset(f"{app}.{name}" for app, name in loader.graph.nodes)


def pending_schemas(schemas: Iterable[str]) -> list[str]:
    """The subset of ``schemas`` (in order) that lack at least one expected migration.

    Conservative: a schema whose history this cannot read (no table yet, squashed migrations
    recorded differently) counts as pending, and ``migrate`` then decides for real.
    """
    schemas = list(dict.fromkeys(schemas))
    if not schemas:
        return []
    expected = sorted(expected_migrations())
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT schemaname FROM pg_catalog.pg_tables "
            "WHERE tablename = 'django_migrations' AND schemaname = ANY(%s)",
            [schemas],
        )
        with_table = {row[0] for row in cursor.fetchall()}
        counts: dict[str, int] = {}
        readable = [schema for schema in schemas if schema in with_table]
        for start in range(0, len(readable), 500):
            batch = readable[start : start + 500]
            sql = " UNION ALL ".join(
                # Identifiers are quoted by quote_schema_name; values are parameters.
                f"SELECT %s, count(*) FROM {quote_schema_name(schema)}.django_migrations "  # noqa: S608
                "WHERE app || '.' || name = ANY(%s)"
                for schema in batch
            )
            params: list[Any] = []
            for schema in batch:
                params += [schema, expected]
            cursor.execute(sql, params)
            counts.update(dict(cursor.fetchall()))
    return [schema for schema in schemas if counts.get(schema, -1) < len(expected)]
