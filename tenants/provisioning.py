"""Creating tenant schemas: cloned from a template schema, or built by replaying migrations.

The template (``PEEPERS_TEMPLATE_SCHEMA``) is an ordinary schema that ``migrate_schemas`` keeps
migrated. A clone copies its tables with their columns, identities, defaults, constraints and
indexes under the template's own names, then its rows (migration history, content types,
permissions) and sequence positions. Tables, indexes and constraints are all Django migrations
make; a template holding anything else (views, functions, triggers, free sequences, types) is
cloned by django-tenants' general ``clone_schema()`` SQL function instead, several times slower
(docs/adr/0001). Everything runs inside the caller's transaction, so a failure leaves no schema
behind: PostgreSQL DDL is transactional.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.management import call_command
from django.db import connection, transaction
from django.db.backends.utils import CursorWrapper
from django_tenants.clone import CLONE_SCHEMA_FUNCTION
from django_tenants.utils import quote_schema_name, schema_exists

from tenants.context import use_public_schema
from tenants.errors import ProvisioningFailed
from tenants.migrations_state import pending_schemas

logger = logging.getLogger(__name__)

# clone_schema() creates and drops helper types in public; clones must not interleave.
_CLONE_LOCK_KEY = 0x7065657065727301


def template_schema() -> str:
    return str(settings.PEEPERS_TEMPLATE_SCHEMA)


def clone_function_install() -> None:
    """(Re)install ``public.clone_schema()``; run by ``migrate_schemas`` after the public schema."""
    use_public_schema()
    db_user = connection.settings_dict.get("USER") or "postgres"
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_CLONE_LOCK_KEY])
        cursor.execute(CLONE_SCHEMA_FUNCTION.format(db_user=db_user.replace('"', '""')))


def clone_function_installed() -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT 1 FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n "
            "ON n.oid = p.pronamespace WHERE n.nspname = 'public' AND p.proname = 'clone_schema'"
        )
        return cursor.fetchone() is not None


def template_ensure() -> bool:
    """Create the (empty) template schema if missing; True when it was created."""
    if schema_exists(template_schema()):
        return False
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE SCHEMA IF NOT EXISTS {quote_schema_name(template_schema())}")
    return True


def schema_clone(*, schema_name: str) -> None:
    """Create ``schema_name`` as a copy of the template; must run inside a transaction."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("schema_clone() must run inside transaction.atomic()")
    use_public_schema()
    template = template_schema()
    if not schema_exists(template):
        raise ProvisioningFailed(
            "the tenant template schema is missing; run `manage.py migrate_schemas`"
        )
    with connection.cursor() as cursor:
        unsupported = _template_objects_not_cloned_by_tables(cursor, template)
        if unsupported:
            logger.warning(
                "template holds %s; cloning with django-tenants' clone_schema()", unsupported
            )
            _clone_with_clone_schema(cursor, template, schema_name)
        else:
            _clone_tables(cursor, template, schema_name)
    # The clone moved search_path around; make django-tenants set it afresh.
    use_public_schema()
    if pending_schemas([schema_name]):
        # The template lagged behind the code (a deploy that has not migrated yet): bring the
        # new schema up to date now rather than create a tenant with an old structure.
        logger.warning("template schema is behind; migrating new schema %s", schema_name)
        schema_migrate(schema_name=schema_name)


def _template_objects_not_cloned_by_tables(cursor: CursorWrapper, template: str) -> list[str]:
    cursor.execute(
        """
        SELECT 'relation ' || c.relname || ' (kind ' || c.relkind::text || ')'
          FROM pg_catalog.pg_class c
         WHERE c.relnamespace = %(ns)s::regnamespace
           AND (c.relkind IN ('v', 'm', 'f', 'p', 'c')
                OR (c.relkind = 'S' AND NOT EXISTS (
                    SELECT 1 FROM pg_catalog.pg_depend d
                     WHERE d.objid = c.oid AND d.deptype = 'i')))
        UNION ALL
        SELECT 'function ' || p.proname FROM pg_catalog.pg_proc p
         WHERE p.pronamespace = %(ns)s::regnamespace
        UNION ALL
        SELECT 'trigger ' || t.tgname FROM pg_catalog.pg_trigger t
          JOIN pg_catalog.pg_class c ON c.oid = t.tgrelid
         WHERE c.relnamespace = %(ns)s::regnamespace AND NOT t.tgisinternal
        UNION ALL
        SELECT 'type ' || t.typname FROM pg_catalog.pg_type t
         WHERE t.typnamespace = %(ns)s::regnamespace AND t.typtype IN ('e', 'd', 'r', 'm')
        UNION ALL
        SELECT 'default ' || c.relname || '.' || a.attname FROM pg_catalog.pg_attrdef ad
          JOIN pg_catalog.pg_class c ON c.oid = ad.adrelid
          JOIN pg_catalog.pg_attribute a ON a.attrelid = ad.adrelid AND a.attnum = ad.adnum
         WHERE c.relnamespace = %(ns)s::regnamespace
           AND pg_catalog.pg_get_expr(ad.adbin, ad.adrelid) LIKE '%%nextval(%%'
        """,
        {"ns": quote_schema_name(template)},
    )
    return [row[0] for row in cursor.fetchall()]


def _clone_tables(cursor: CursorWrapper, template: str, schema_name: str) -> None:
    source, target = quote_schema_name(template), quote_schema_name(schema_name)
    cursor.execute(f"CREATE SCHEMA {target}")
    cursor.execute(
        "SELECT c.relname FROM pg_catalog.pg_class c "
        "WHERE c.relnamespace = %s::regnamespace AND c.relkind = 'r' ORDER BY c.relname",
        [source],
    )
    tables = [row[0] for row in cursor.fetchall()]
    # Definitions printed while only the template is on the search path name its tables bare
    # (and anything in public qualified); run while only the target is on it, they land there.
    cursor.execute(f"SET LOCAL search_path = {source}")
    cursor.execute(
        """
        SELECT c.relname, con.conname, con.contype,
               pg_catalog.pg_get_constraintdef(con.oid)
          FROM pg_catalog.pg_constraint con
          JOIN pg_catalog.pg_class c ON c.oid = con.conrelid
         WHERE c.relnamespace = %s::regnamespace AND con.contype IN ('p', 'u', 'x', 'f')
         ORDER BY con.contype = 'f', c.relname, con.conname
        """,
        [source],
    )
    constraints = cursor.fetchall()
    cursor.execute(
        """
        SELECT pg_catalog.pg_get_indexdef(i.indexrelid), pg_catalog.quote_ident(c.relname)
          FROM pg_catalog.pg_index i
          JOIN pg_catalog.pg_class c ON c.oid = i.indrelid
         WHERE c.relnamespace = %s::regnamespace
           AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint con
                            WHERE con.conindid = i.indexrelid AND con.conrelid = i.indrelid)
        """,
        [source],
    )
    index_rows = cursor.fetchall()
    # pg_get_indexdef always qualifies the table: "... ON tenant_template.users_user USING ..."
    cursor.execute("SELECT pg_catalog.quote_ident(%s)", [template])
    quoted_template = cursor.fetchone()[0]
    indexes = [
        definition.replace(f" ON {quoted_template}.{table} ", f" ON {target}.{table} ", 1)
        for definition, table in index_rows
    ]
    cursor.execute(
        """
        SELECT c.relname, a.attname, s.last_value
          FROM pg_catalog.pg_class c
          JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attidentity <> ''
          JOIN pg_catalog.pg_sequences s
            ON s.schemaname = %s
           AND s.sequencename = split_part(
                 pg_catalog.pg_get_serial_sequence(
                   pg_catalog.quote_ident(c.relname), a.attname), '.', 2)
         WHERE c.relnamespace = %s::regnamespace AND s.last_value IS NOT NULL
        """,
        [template, source],
    )
    sequences = cursor.fetchall()

    # One round trip for the whole script: every statement is ours, built from the catalog.
    script = [f"SET LOCAL search_path = {target}"]
    for table in tables:
        name = quote_schema_name(table)
        # Columns, defaults, identities, NOT NULL and CHECK constraints; indexes and keys are
        # added below under the template's names, which later migrations refer to.
        script.append(f"CREATE TABLE {name} (LIKE {source}.{name} INCLUDING ALL EXCLUDING INDEXES)")
        script.append(f"INSERT INTO {name} SELECT * FROM {source}.{name}")  # noqa: S608
    script += [
        f"ALTER TABLE {quote_schema_name(table)} "
        f"ADD CONSTRAINT {quote_schema_name(constraint)} {definition}"
        for table, constraint, _kind, definition in constraints
    ]
    script += indexes
    # pg_sequences shows last_value only once the sequence has been used.
    script += [
        "SELECT pg_catalog.setval(pg_catalog.pg_get_serial_sequence("
        f"{_literal(f'{target}.{quote_schema_name(table)}')}, {_literal(column)}), "
        f"{int(last_value)}, true)"
        for table, column, last_value in sequences
    ]
    cursor.execute(";\n".join(script))


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _clone_with_clone_schema(cursor: CursorWrapper, template: str, schema_name: str) -> None:
    if not clone_function_installed():
        raise ProvisioningFailed(
            "public.clone_schema() is missing; run `manage.py migrate_schemas`"
        )
    # clone_schema() creates and drops helper types in public; clones must not interleave.
    cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_CLONE_LOCK_KEY])
    cursor.execute("SELECT public.clone_schema(%s, %s, 'DATA')", [template, schema_name])


def schema_replay(*, schema_name: str) -> None:
    """Create ``schema_name`` empty and apply every migration (the slow path, for comparison)."""
    use_public_schema()
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE SCHEMA {quote_schema_name(schema_name)}")
    schema_migrate(schema_name=schema_name)


def schema_migrate(*, schema_name: str) -> None:
    call_command(
        "migrate_schemas",
        schema_name=schema_name,
        interactive=False,
        verbosity=0,
        all_schemas=True,
    )
    use_public_schema()
