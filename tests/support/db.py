"""Putting the test database back after tests that commit (threads, workers, live servers)."""

from __future__ import annotations

from django.conf import settings
from django.db import connection
from django_tenants.utils import quote_schema_name

from compliance.models import DataSubjectRequest, ErasedSubject, ErasureStep
from tenants.context import use_public_schema
from tenants.models import Tenant
from tests.factories.users import store_user_create
from users.models import Role

BASELINE_SCHEMAS = ("public", "tenant-a", "tenant-b")
TENANT_KEEP = {"django_migrations", "django_content_type", "auth_permission"}
PUBLIC_KEEP = TENANT_KEEP | {
    "tenants_tenant",
    "tenants_domain",
    "tenants_signupagreement",
    "billing_plan",
    # Seeded by migrations, like the plans.
    "notices_purpose",
    "retention_retentionpolicy",
}
OWNER_PASSWORD = "a-long-test-password-1"


def _tables(schema: str) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT tablename FROM pg_catalog.pg_tables WHERE schemaname = %s", [schema])
        return [row[0] for row in cursor.fetchall()]


def _truncate(schema: str, keep: set[str]) -> None:
    """Empty the schema's tables but ``keep`` (their sequences start again).

    Only the tables that hold rows are truncated (TRUNCATE gives each table new files, the
    slow part of a reset); one query finds them.
    """
    quoted = quote_schema_name(schema)
    tables = [t for t in _tables(schema) if t not in keep]
    if not tables:
        return
    with connection.cursor() as cursor:
        cursor.execute(
            " UNION ALL ".join(
                f"SELECT %s WHERE EXISTS (SELECT 1 FROM {quoted}.{quote_schema_name(t)})"
                for t in tables
            ),
            tables,
        )
        used = [row[0] for row in cursor.fetchall()]
        if used:
            names = ", ".join(f"{quoted}.{quote_schema_name(t)}" for t in used)
            cursor.execute(f"TRUNCATE {names} RESTART IDENTITY CASCADE")


def database_reset() -> None:
    """Drop every store the test made, and empty the baseline stores back to their owner."""
    if not connection.settings_dict["NAME"].startswith("test_"):
        raise RuntimeError("database_reset() only ever runs on the test database")
    use_public_schema()
    # Public rows first: some protect the store they belong to (data-subject requests).
    _truncate("public", PUBLIC_KEEP)
    for tenant in Tenant.objects.exclude(schema_name__in=BASELINE_SCHEMAS):
        with connection.cursor() as cursor:
            cursor.execute(f"DROP SCHEMA IF EXISTS {quote_schema_name(tenant.schema_name)} CASCADE")
        tenant.delete()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nspname FROM pg_catalog.pg_namespace WHERE nspname NOT LIKE 'pg\\_%%' "
            "AND nspname <> 'information_schema' AND NOT (nspname = ANY(%s))",
            [[*BASELINE_SCHEMAS, settings.PEEPERS_TEMPLATE_SCHEMA]],
        )
        for (stray,) in cursor.fetchall():
            cursor.execute(f"DROP SCHEMA {quote_schema_name(stray)} CASCADE")
    # The baseline stores' own rows go back to how the session created them.
    Tenant.objects.filter(schema_name__in=BASELINE_SCHEMAS[1:]).update(
        ml_user_id=None, status="active", plan_code="starter"
    )
    for tenant in Tenant.objects.filter(schema_name__in=BASELINE_SCHEMAS[1:]):
        _truncate(tenant.schema_name, TENANT_KEEP)
        store_user_create(tenant, tenant.owner_email, OWNER_PASSWORD, role=Role.OWNER)
    use_public_schema()


def store_requests_delete(**store: object) -> None:
    """Delete the data-subject requests of the stores ``store`` selects (``tenant=...``,
    ``tenant__in=...``) and what protects them from deletion (their erasure steps and the
    suppression-list entries they wrote), so the stores themselves can be deleted."""
    requests = DataSubjectRequest.objects.filter(**store)
    ErasedSubject.objects.filter(request__in=requests).delete()
    ErasureStep.objects.filter(request__in=requests).delete()
    requests.delete()
