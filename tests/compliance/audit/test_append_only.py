"""Audit events cannot change or go away: not through the model, not through raw SQL."""

from datetime import timedelta

import pytest
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from compliance.audit.errors import AuditEventImmutable, AuditRetentionTooShort
from compliance.audit.models import AuditAction, AuditEvent
from compliance.audit.services import (
    Actor,
    audit_events_purge,
    audit_record,
    audit_subject_redact,
)
from tenants.models import Tenant
from tests.support.db import database_reset


@pytest.fixture
def event(tenant_a):
    return audit_record(
        action=AuditAction.DATA_EXPORT,
        actor=Actor.staff(email="dpo@peepers.test", id="7"),
        tenant=tenant_a,
        details={"file": "export.zip"},
    )


def test_the_model_refuses_to_save_an_existing_event(event):
    event.action = AuditAction.LOGOUT

    with pytest.raises(AuditEventImmutable):
        event.save()


def test_the_model_refuses_to_delete_an_event(event):
    with pytest.raises(AuditEventImmutable):
        event.delete()


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE audit_auditevent SET action = 'logout' WHERE id = %s",
        "UPDATE audit_auditevent SET tenant_id = NULL, actor_email = 'x' WHERE id = %s",
        "DELETE FROM audit_auditevent WHERE id = %s",
    ],
)
def test_raw_sql_cannot_update_or_delete_an_event(event, sql):
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql, [event.pk])

    event.refresh_from_db()
    assert (event.action, event.actor_email) == ("data_export", "dpo@peepers.test")


def test_querysets_cannot_update_or_delete_events_either(event):
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(details={})
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).delete()


def test_the_test_suites_database_reset_still_empties_the_log(committed_db):
    tenant_a = Tenant.objects.get(schema_name="tenant-a")
    audit_record(action=AuditAction.DATA_EXPORT, actor=Actor.system("test"), tenant=tenant_a)

    database_reset()  # TRUNCATE, which the row trigger does not see

    assert not AuditEvent.objects.exists()


def test_a_deleted_store_keeps_its_events_by_public_id(db):
    gone = Tenant.objects.create(
        schema_name="gone-store", name="Gone", owner_email="gone@example.com", plan_code="starter"
    )
    audit_record(action=AuditAction.DATA_ERASURE, actor=Actor.system("test"), tenant=gone)

    gone.delete()

    event = AuditEvent.objects.get(action=AuditAction.DATA_ERASURE)
    assert (event.tenant_id, event.tenant_public_id, event.tenant_schema) == (
        None,
        gone.public_id,
        "gone-store",
    )


def test_secrets_in_details_are_never_stored(db):
    event = audit_record(
        action=AuditAction.KEY_ROTATION,
        actor=Actor.system("test"),
        details={"client_secret": "s3cr3t", "nested": {"access_token": "abc", "count": 2}},
    )

    event.refresh_from_db()
    assert event.details == {
        "client_secret": "[redacted]",
        "nested": {"access_token": "[redacted]", "count": 2},
    }


def test_subject_redaction_blanks_personal_fields_and_is_itself_recorded(event):
    audit_record(
        action=AuditAction.LOGIN_FAILED,
        actor=Actor.staff(email="other@peepers.test"),
        details={"note": "asked about dpo@peepers.test"},
    )

    count = audit_subject_redact(
        email="DPO@peepers.test", actor=Actor.system("dsr"), reason="erasure request 12"
    )

    assert count == 2
    assert not AuditEvent.objects.filter(actor_email__icontains="dpo@").exists()
    assert not AuditEvent.objects.filter(details__icontains="dpo@peepers.test").exists()
    event.refresh_from_db()
    assert (event.action, event.tenant_schema) == ("data_export", "tenant-a")  # the rest stays
    assert AuditEvent.objects.filter(action=AuditAction.AUDIT_REDACTION).count() == 1


def test_the_retention_purge_deletes_only_events_past_the_bound(db):
    now = timezone.now()
    old = AuditEvent.objects.create(
        occurred_at=now - timedelta(days=400), action=AuditAction.LOGOUT, actor_kind="system"
    )
    kept = AuditEvent.objects.create(
        occurred_at=now - timedelta(days=200), action=AuditAction.LOGOUT, actor_kind="system"
    )

    purged = audit_events_purge(before=now - timedelta(days=365), actor=Actor.system("retention"))

    assert purged == 1
    assert not AuditEvent.objects.filter(pk=old.pk).exists()
    assert AuditEvent.objects.filter(pk=kept.pk).exists()
    assert AuditEvent.objects.get(action=AuditAction.AUDIT_PURGE).details["events"] == 1
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(pk=kept.pk).delete()  # the purge's permission ended with it


def test_the_purge_refuses_to_cut_below_the_legal_minimum(db):
    with pytest.raises(AuditRetentionTooShort):
        audit_events_purge(
            before=timezone.now() - timedelta(days=30), actor=Actor.system("retention")
        )
