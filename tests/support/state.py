"""A snapshot of everything a store creation touches, to prove a failure left nothing behind."""

from __future__ import annotations

from django.db import connection

from tenants.context import use_public_schema
from tenants.models import Domain, SignupAgreement, Tenant


def database_state() -> dict[str, object]:
    use_public_schema()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nspname FROM pg_catalog.pg_namespace "
            "WHERE nspname NOT LIKE 'pg\\_%%' AND nspname <> 'information_schema' ORDER BY 1"
        )
        schemas = [row[0] for row in cursor.fetchall()]
    return {
        "schemas": schemas,
        "tenants": sorted(Tenant.objects.values_list("schema_name", "owner_email", "ml_user_id")),
        "domains": sorted(Domain.objects.values_list("domain", flat=True)),
        "agreements": SignupAgreement.objects.count(),
    }
