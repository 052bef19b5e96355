"""Finding a person's values anywhere in the database, by value rather than by the fields we know.

``personal_values_found(values, schemas=[...])`` reads ``information_schema.columns`` and looks
for each value (case-insensitively, as a substring) in every text, varchar, json and jsonb
column of every table in the given schemas: a store's schema and ``public`` cover everything
Peepers holds about a store. A number (an ML user id) is looked for as text, so it is found
inside JSON and text but not in numeric columns (a foreign key or count that happens to share
the digits is no leak; the erased subject's own numeric id is checked by the test that cares).

Each finding is ``"schema.table.column"`` with the value found there. Pass ``exempt`` to leave
out columns the law requires keeping, and say why beside each in the calling test::

    found = personal_values_found(["COMPRADOR_1", "Zebedeu", 987654321], schemas=["public", s])
    assert found == []

Used to prove erasure and store closure leave nothing behind; a new table or column is covered
without touching the tests.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass

from django.db import connection

SCANNED_TYPES = ("text", "character varying", "json", "jsonb")


@dataclass(frozen=True)
class Finding:
    column: str  # schema.table.column
    value: str

    def __str__(self) -> str:
        return f"{self.column} holds {self.value!r}"


def scanned_columns(
    schemas: Iterable[str], *, also: Iterable[str] = ()
) -> list[tuple[str, str, str]]:
    """(schema, table, column) of every text and JSON column (and of the ``also`` types, e.g.
    ``bigint`` for ids, ``inet`` for addresses) of the tables in ``schemas``."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.table_schema, c.table_name, c.column_name "
            "FROM information_schema.columns c JOIN information_schema.tables t "
            "ON t.table_schema = c.table_schema AND t.table_name = c.table_name "
            "WHERE c.table_schema = ANY(%s) AND t.table_type = 'BASE TABLE' "
            "AND c.data_type = ANY(%s) "
            "ORDER BY c.table_schema, c.table_name, c.ordinal_position",
            [list(schemas), [*SCANNED_TYPES, *also]],
        )
        return [(schema, table, column) for schema, table, column in cursor.fetchall()]


def personal_values_found(
    values: Iterable[object],
    *,
    schemas: Iterable[str],
    exempt: Collection[str] = (),
    also: Iterable[str] = (),
) -> list[Finding]:
    """Every (column, value) where a column of ``schemas`` holds one of ``values``."""
    wanted = [str(value) for value in values if str(value).strip()]
    found: list[Finding] = []
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        for schema, table, column in scanned_columns(schemas, also=also):
            name = f"{schema}.{table}.{column}"
            if name in exempt:
                continue
            for value in wanted:
                cursor.execute(
                    f"SELECT 1 FROM {quote(schema)}.{quote(table)} "
                    f"WHERE {quote(column)}::text ILIKE %s LIMIT 1",
                    [f"%{_like_escaped(value)}%"],
                )
                if cursor.fetchone():
                    found.append(Finding(column=name, value=value))
    return found


def _like_escaped(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
