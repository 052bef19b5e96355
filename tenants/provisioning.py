"""Creating tenant schemas: cloned from a template schema, or built by replaying migrations.

The template (``PEEPERS_TEMPLATE_SCHEMA``) is an ordinary schema that ``migrate_schemas`` keeps
migrated. Cloning copies its tables, indexes, sequences and reference rows (content types,
permissions, migration history) with django-tenants' ``clone_schema()`` SQL function, which is
installed once by ``migrate_schemas`` rather than on every clone. Everything here runs inside the
caller's transaction, so a failure leaves no schema behind (PostgreSQL DDL is transactional).
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.management import call_command
from django.db import connection, transaction
from django_tenants.clone import CLONE_SCHEMA_FUNCTION
from django_tenants.utils import quote_schema_name, schema_exists

from tenants.errors import ProvisioningFailed
from tenants.migrations_state import pending_schemas

logger = logging.getLogger(__name__)

# clone_schema() creates and drops helper types in public; clones must not interleave.
_CLONE_LOCK_KEY = 0x7065657065727301


def template_schema() -> str:
    return str(settings.PEEPERS_TEMPLATE_SCHEMA)


def clone_function_install() -> None:
    """(Re)install ``public.clone_schema()``; run by ``migrate_schemas`` after the public schema."""
    connection.set_schema_to_public()
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
    connection.set_schema_to_public()
    if not schema_exists(template_schema()) or not clone_function_installed():
        raise ProvisioningFailed(
            "the tenant template schema is not ready; run `manage.py migrate_schemas`"
        )
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_CLONE_LOCK_KEY])
        cursor.execute(
            "SELECT public.clone_schema(%s, %s, 'DATA')", [template_schema(), schema_name]
        )
    # clone_schema() moves search_path around; make django-tenants set it afresh.
    connection.set_schema_to_public()
    if pending_schemas([schema_name]):
        # The template lagged behind the code (a deploy that has not migrated yet): bring the
        # new schema up to date now rather than create a tenant with an old structure.
        logger.warning("template schema is behind; migrating new schema %s", schema_name)
        schema_migrate(schema_name=schema_name)


def schema_replay(*, schema_name: str) -> None:
    """Create ``schema_name`` empty and apply every migration (the slow path, for comparison)."""
    connection.set_schema_to_public()
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE SCHEMA {quote_schema_name(schema_name)}")
    schema_migrate(schema_name=schema_name)


def schema_migrate(*, schema_name: str) -> None:
    call_command(
        "migrate_schemas", schema_name=schema_name, interactive=False, verbosity=0,
        all_schemas=True,
    )
    connection.set_schema_to_public()


def schema_drop(*, schema_name: str) -> None:
    connection.set_schema_to_public()
    with connection.cursor() as cursor:
        cursor.execute(f"DROP SCHEMA IF EXISTS {quote_schema_name(schema_name)} CASCADE")
