"""Attach every row of ML data a store already holds, and its sync runs, to the store's account.

Before several accounts per store, a store had at most one account row that was not
disconnected; its rows are that account's (else the most recently connected one's). Batches of
``BATCH`` rows commit one by one (the migration is not atomic), so a run stopped midway keeps
what it did and the next ``migrate_schemas`` carries on where it stopped: only rows still
without an account are touched. A store with no account row keeps its rows unattached.
"""

from __future__ import annotations

from typing import Any

from django.db import migrations

BATCH = 5000
TABLES = (
    "mercadolivre_mlitem",
    "mercadolivre_mlorder",
    "mercadolivre_mlquestion",
    "mercadolivre_syncrun",
)


def attach(apps: Any, schema_editor: Any) -> None:
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id FROM mercadolivre_mlaccount"
            " ORDER BY (status <> 'disconnected') DESC, connected_at DESC, id DESC LIMIT 1"
        )
        found = cursor.fetchone()
        if found is None:
            return
        for table in TABLES:
            # Walked by primary key: each batch starts after the last one, so a big table is
            # read once, not again from its start for every batch.
            after: object = None
            while True:
                after_clause = "" if after is None else " AND id > %(after)s"
                # Our table names; the values are parameters.
                sql = (
                    f"WITH batch AS (SELECT id FROM {table} WHERE account_id IS NULL"  # noqa: S608
                    f"{after_clause} ORDER BY id LIMIT {BATCH})"
                    f" UPDATE {table} SET account_id = %(account)s FROM batch"
                    f" WHERE {table}.id = batch.id RETURNING {table}.id"
                )
                cursor.execute(sql, {"account": found[0], "after": after})
                ids = [row[0] for row in cursor.fetchall()]
                if len(ids) < BATCH:
                    break
                after = max(ids)


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("mercadolivre", "0006_accounts"),
    ]

    operations = [migrations.RunPython(attach, migrations.RunPython.noop, elidable=False)]
