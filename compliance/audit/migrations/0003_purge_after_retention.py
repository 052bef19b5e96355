"""Old events may be deleted, by ``audit_events_purge`` only: the trigger lets a DELETE through
when the row is older than the bound that function sets for its own transaction."""

from django.db import migrations

FORWARD = r"""
CREATE OR REPLACE FUNCTION audit_event_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    purge_before text := current_setting('peepers.audit_purge_before', true);
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
    ELSIF TG_OP = 'DELETE' AND purge_before IS NOT NULL AND purge_before <> ''
          AND OLD.occurred_at < purge_before::timestamptz THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'audit_auditevent is append-only: % refused', TG_OP
        USING ERRCODE = 'integrity_constraint_violation';
END;
$$;
"""

# Back to 0002's function (no purge).
BACKWARD = r"""
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
"""


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_append_only")]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
