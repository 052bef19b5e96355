"""Provisioning commits for real here: a failure must leave no row, domain or schema behind."""

import threading

import pytest
from django.conf import settings
from django.db import connection, connections, transaction

from tenants.errors import ProvisioningFailed, TenantInvalid, TenantSlugTaken
from tenants.models import Tenant
from tenants.provisioning import schema_clone
from tenants.services import tenant_create
from tests.support.state import database_state

pytestmark = pytest.mark.usefixtures("committed_db")

TEMPLATE = settings.PEEPERS_TEMPLATE_SCHEMA


def create(slug, email, **extra):
    return tenant_create(
        name=f"Store {slug}",
        slug=slug,
        owner_email=email,
        owner_password=None,
        plan_code="starter",
        terms_accepted=True,
        channel="command",
        **extra,
    )


def tables_of(schema):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tablename FROM pg_catalog.pg_tables WHERE schemaname = %s ORDER BY 1", [schema]
        )
        return [row[0] for row in cursor.fetchall()]


def test_a_failed_clone_leaves_nothing_behind():
    before = database_state()
    with connection.cursor() as cursor:
        cursor.execute(f'ALTER SCHEMA "{TEMPLATE}" RENAME TO "template_away"')
    try:
        with pytest.raises(ProvisioningFailed):
            create("clone-fails", "clone@example.com")
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f'ALTER SCHEMA "template_away" RENAME TO "{TEMPLATE}"')

    assert database_state() == before


def test_a_failure_after_cloning_rolls_the_schema_back():
    # A trigger in the template is cloned into the new schema and makes the owner insert fail.
    with connection.cursor() as cursor:
        cursor.execute(
            f'CREATE FUNCTION "{TEMPLATE}".refuse() RETURNS trigger LANGUAGE plpgsql AS '
            "$$ BEGIN RAISE EXCEPTION 'owner insert refused'; END $$"
        )
        cursor.execute(
            f'CREATE TRIGGER refuse BEFORE INSERT ON "{TEMPLATE}".users_user '
            f'FOR EACH ROW EXECUTE FUNCTION "{TEMPLATE}".refuse()'
        )
    before = database_state()
    try:
        with pytest.raises(Exception, match="owner insert refused"):
            create("after-clone-fails", "after@example.com")
        assert database_state() == before
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f'DROP TRIGGER refuse ON "{TEMPLATE}".users_user')
            cursor.execute(f'DROP FUNCTION "{TEMPLATE}".refuse()')


def test_two_concurrent_signups_for_one_slug_give_one_store_and_one_clear_error():
    barrier = threading.Barrier(2)
    outcomes = []

    def signup(email):
        try:
            barrier.wait()
            create("same-slug", email)
            outcomes.append("created")
        except (TenantSlugTaken, TenantInvalid) as exc:
            outcomes.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=signup, args=(f"racer{i}@example.com",)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert outcomes.count("created") == 1, outcomes
    (error,) = [o for o in outcomes if o != "created"]
    message = error.errors["slug"][0] if isinstance(error, TenantInvalid) else error.message
    assert "same-slug" in message
    assert "taken" in message
    assert Tenant.objects.filter(schema_name="same-slug").count() == 1


def test_concurrent_signups_for_different_slugs_all_succeed():
    barrier = threading.Barrier(3)
    errors = []

    def signup(index):
        try:
            barrier.wait()
            create(f"parallel-{index}", f"parallel{index}@example.com")
        except Exception as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=signup, args=(i,)) for i in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert Tenant.objects.filter(schema_name__startswith="parallel-").count() == 3


def test_replaying_migrations_builds_the_same_tables_as_cloning():
    create("by-clone", "clone-way@example.com")
    create("by-replay", "replay-way@example.com", provision="replay")

    assert tables_of("by-replay") == tables_of("by-clone") == tables_of(TEMPLATE)


def structure_of(schema):
    """Columns, constraints, indexes and sequence positions, with the schema name taken out."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_catalog.quote_ident(%s)", [schema])
        quoted = cursor.fetchone()[0]
        cursor.execute(
            """
            SELECT c.relname, a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod),
                   a.attnotnull, a.attidentity,
                   pg_catalog.pg_get_expr(d.adbin, d.adrelid)
              FROM pg_catalog.pg_attribute a
              JOIN pg_catalog.pg_class c ON c.oid = a.attrelid AND c.relkind = 'r'
              LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
             WHERE c.relnamespace = %s::regnamespace AND a.attnum > 0 AND NOT a.attisdropped
             ORDER BY 1, a.attnum
            """,
            [quoted],
        )
        columns = cursor.fetchall()
        cursor.execute(
            "SELECT conrelid::regclass::text, conname, contype, pg_get_constraintdef(oid) "
            "FROM pg_constraint WHERE connamespace = %s::regnamespace ORDER BY 1, 2",
            [quoted],
        )
        constraints = [
            tuple(str(v).replace(quoted + ".", "") for v in row) for row in cursor.fetchall()
        ]
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = %s ORDER BY 1", [schema]
        )
        indexes = [(name, d.replace(quoted + ".", "")) for name, d in cursor.fetchall()]
        cursor.execute(
            "SELECT sequencename, last_value FROM pg_sequences WHERE schemaname = %s ORDER BY 1",
            [schema],
        )
        sequences = cursor.fetchall()
    return {
        "columns": columns,
        "constraints": constraints,
        "indexes": indexes,
        "sequences": sequences,
    }


def test_a_clone_has_the_templates_exact_structure_and_reference_rows():
    with transaction.atomic():
        schema_clone(schema_name="exact-copy")

    assert structure_of("exact-copy") == structure_of(TEMPLATE)
    with connection.cursor() as cursor:
        for table in ("django_migrations", "django_content_type", "auth_permission"):
            cursor.execute(
                f'SELECT (SELECT count(*) FROM "exact-copy".{table}), '
                f'(SELECT count(*) FROM "{TEMPLATE}".{table})'
            )
            copied, original = cursor.fetchone()
            assert copied == original > 0, table


def test_a_template_with_objects_beyond_tables_is_cloned_by_clone_schema():
    with connection.cursor() as cursor:
        cursor.execute(
            f'CREATE VIEW "{TEMPLATE}".active_users AS SELECT id FROM "{TEMPLATE}".users_user'
        )
    try:
        create("with-view", "view@example.com")
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_views WHERE schemaname = 'with-view' "
                "AND viewname = 'active_users'"
            )
            assert cursor.fetchone()[0] == 1
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f'DROP VIEW "{TEMPLATE}".active_users')
