"""Where given values are stored: every text, varchar, JSON and jsonb column of some schemas.

A test seeds a person with values found nowhere else, runs flows, and asks which columns still
hold any of them (``value_scan``); what is left must be declared kept, with its reason
(``unexplained``), so a column nobody thought of is found by its content, not by its name.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from django.db import connection

TEXT_TYPES = ("text", "character varying", "json", "jsonb")


@dataclass(frozen=True)
class Found:
    column: str  # "schema.table.column"
    value: str


def value_scan(values: Iterable[str], *, schemas: Iterable[str]) -> list[Found]:
    """Each (column, value) where a row of ``column`` contains ``value`` (case-insensitive)."""
    wanted = [str(v) for v in values if str(v)]
    found: list[Found] = []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_schema, table_name, column_name FROM information_schema.columns "
            "JOIN information_schema.tables USING (table_schema, table_name) "
            "WHERE table_schema = ANY(%s) AND data_type = ANY(%s) "
            "AND table_type = 'BASE TABLE' ORDER BY 1, 2, 3",
            [list(schemas), list(TEXT_TYPES)],
        )
        columns = cursor.fetchall()
        for schema, table, column in columns:
            for value in wanted:
                cursor.execute(
                    f'SELECT 1 FROM "{schema}"."{table}" WHERE "{column}"::text ILIKE %s LIMIT 1',
                    [f"%{value}%"],
                )
                if cursor.fetchone():
                    found.append(Found(column=f"{schema}.{table}.{column}", value=value))
    return found


def unexplained(found: Iterable[Found], kept: Mapping[str, str]) -> list[Found]:
    """What ``found`` holds outside the columns ``kept`` names (column -> why it is kept)."""
    return [f for f in found if f.column not in kept]
