"""The ledger is append-only in the database too: UPDATE and DELETE raise; TRUNCATE still works.

The function lives in ``public`` (created once for every schema). The trigger is created in each
schema this migration runs in except the template, so cloning stays on the fast path; cloned
stores get it from ``tenant_created`` (``compliance/consent/guard.py``).
"""

from django.conf import settings
from django.db import migrations

FUNCTION = r"""
CREATE OR REPLACE FUNCTION public.consent_record_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'consent_consentrecord is append-only: % refused', TG_OP
        USING ERRCODE = 'integrity_constraint_violation';
END;
$$;
"""
TRIGGER = r"""
CREATE OR REPLACE TRIGGER consent_record_append_only
    BEFORE UPDATE OR DELETE ON consent_consentrecord
    FOR EACH ROW EXECUTE FUNCTION public.consent_record_append_only();
"""


def forward(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(FUNCTION)
        if getattr(schema_editor.connection, "schema_name", "") != settings.PEEPERS_TEMPLATE_SCHEMA:
            cursor.execute(TRIGGER)


def backward(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("DROP TRIGGER IF EXISTS consent_record_append_only ON consent_consentrecord")


class Migration(migrations.Migration):
    dependencies = [("consent", "0001_initial")]

    operations = [migrations.RunPython(forward, backward)]
