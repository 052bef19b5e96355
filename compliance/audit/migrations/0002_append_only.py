"""The audit table is append-only in the database too: UPDATE and DELETE raise.

Two updates are let through, each changing nothing else: a deleted store's ``tenant_id`` going
NULL (Django's SET_NULL), and the redaction of personal fields by ``audit_subject_redact``,
which sets ``peepers.audit_redact`` for its own transaction. TRUNCATE is not a row operation
and keeps working (the test suite's database reset uses it).
"""

from django.db import migrations

FORWARD = r"""
CREATE OR REPLACE FUNCTION audit_event_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        IF NEW.tenant_id IS NULL
           AND (to_jsonb(NEW) - 'tenant_id') = (to_jsonb(OLD) - 'tenant_id') THEN
            RETURN NEW;
        END IF;
        IF current_setting('peepers.audit_redact', true) = 'on'
           AND (to_jsonb(NEW) - ARRAY['actor_email', 'user_agent', 'details', 'tenant_id'])
               = (to_jsonb(OLD) - ARRAY['actor_email', 'user_agent', 'details', 'tenant_id'])
           AND NEW.actor_email IN ('', OLD.actor_email)
           AND NEW.user_agent IN ('', OLD.user_agent)
           AND (NEW.tenant_id IS NULL OR NEW.tenant_id = OLD.tenant_id) THEN
            RETURN NEW;
        END IF;
    END IF;
    RAISE EXCEPTION 'audit_auditevent is append-only: % refused', TG_OP
        USING ERRCODE = 'integrity_constraint_violation';
END;
$$;

CREATE TRIGGER audit_event_append_only
    BEFORE UPDATE OR DELETE ON audit_auditevent
    FOR EACH ROW EXECUTE FUNCTION audit_event_append_only();
"""

BACKWARD = r"""
DROP TRIGGER IF EXISTS audit_event_append_only ON audit_auditevent;
DROP FUNCTION IF EXISTS audit_event_append_only();
"""


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
