"""The ledger's append-only trigger, installed in every store's schema but not the template.

Stores are cloned from the template table by table (docs/adr/0001); a trigger in the template
would push every signup onto the several-times-slower general ``clone_schema()``. So migration
0002 installs the trigger in each schema it runs in except the template, and ``tenant_created``
installs it in each cloned store (``receivers.py``). TRUNCATE is not a row operation and keeps
working (the test suite's database reset uses it).
"""

from __future__ import annotations

from django.db import connection
from django_tenants.utils import get_public_schema_name, get_tenant_model, quote_schema_name

TRIGGER = "consent_record_append_only"


def ledger_guard_install(*, schema_name: str) -> None:
    """Install (or re-install) the trigger on ``schema_name``'s ledger; safe to repeat.

    The function it calls lives in ``public`` and is created by migration 0002 (once, not here:
    concurrent signups replacing one function would conflict).
    """
    table = f"{quote_schema_name(schema_name)}.consent_consentrecord"
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE OR REPLACE TRIGGER {TRIGGER} BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION public.consent_record_append_only()"
        )


def ledger_guard_missing() -> list[str]:
    """Store schemas whose ledger has no append-only trigger (for checks and the runbook)."""
    stores = list(
        get_tenant_model()
        .objects.exclude(schema_name=get_public_schema_name())
        .values_list("schema_name", flat=True)
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT n.nspname FROM pg_catalog.pg_trigger t "
            "JOIN pg_catalog.pg_class c ON c.oid = t.tgrelid "
            "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
            "WHERE t.tgname = %s AND c.relname = 'consent_consentrecord'",
            [TRIGGER],
        )
        guarded = {row[0] for row in cursor.fetchall()}
    return sorted(schema for schema in stores if schema not in guarded)
