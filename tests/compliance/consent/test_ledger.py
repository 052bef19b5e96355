"""The ledger is append-only: the model refuses, and so does the database in every store."""

import pytest
from django.db import DatabaseError, connection, transaction
from django_tenants.utils import tenant_context

from compliance.consent.errors import ConsentRecordImmutable
from compliance.consent.guard import ledger_guard_missing
from compliance.consent.models import ConsentChannel, ConsentRecord
from compliance.consent.services import consent_grant
from tenants.services import tenant_create
from tests.support.clients import owner_of
from tests.support.db import OWNER_PASSWORD

pytestmark = pytest.mark.django_db


def granted(tenant):
    with tenant_context(tenant):
        return consent_grant(
            user=owner_of(tenant), purpose="marketing_email", channel=ConsentChannel.ADMIN
        ).record


def test_the_model_refuses_to_change_or_delete_a_row(tenant_a):
    record = granted(tenant_a)
    with tenant_context(tenant_a):
        record.action = "revoked"
        with pytest.raises(ConsentRecordImmutable):
            record.save()
        with pytest.raises(ConsentRecordImmutable):
            record.delete()


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE consent_consentrecord SET action = 'revoked'",
        "DELETE FROM consent_consentrecord",
    ],
)
def test_the_database_refuses_updates_and_deletes(tenant_a, statement):
    granted(tenant_a)
    with tenant_context(tenant_a):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(statement)
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            ConsentRecord.objects.all().update(user_agent="forged")
        assert ConsentRecord.objects.get().action == "granted"


def test_truncate_still_works_for_database_resets(tenant_a):
    granted(tenant_a)
    with tenant_context(tenant_a):
        with connection.cursor() as cursor:
            # The test's transaction still holds the deferred foreign-key check of the insert.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("TRUNCATE consent_consentrecord")
        assert not ConsentRecord.objects.exists()


def test_every_store_and_a_new_one_is_guarded_but_not_the_template(
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        created = tenant_create(
            name="Loja Nova",
            slug="loja-nova",
            owner_email="dona@nova.example.com",
            owner_password=OWNER_PASSWORD,
            plan_code="starter",
            terms_accepted=True,
            channel="command",
        )

    assert ledger_guard_missing() == []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "WHERE c.relnamespace = 'tenant_template'::regnamespace AND NOT t.tgisinternal"
        )
        assert cursor.fetchone()[0] == 0  # cloning stays on the fast path (docs/adr/0001)
    granted(created.tenant)  # a row trigger needs a row
    with (
        tenant_context(created.tenant),
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("DELETE FROM consent_consentrecord")
