"""A store holding several Mercado Livre accounts: connecting them within the plan, routing each
notification and sync to its own account, the plan's limit on a downgrade, and the migration
that attaches a store's existing rows to its account."""

from __future__ import annotations

import ast
import importlib
import json
from types import SimpleNamespace

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client
from django.utils import timezone
from django_tenants.utils import tenant_context

from billing.signals import plan_changed
from billing.usage import ML_ACCOUNTS, usage_for
from compliance.audit.models import AuditEvent
from integrations.mercadolivre.accounts import MLAccountAmbiguous, MLAccountPaused
from integrations.mercadolivre.answers import ml_question_answer
from integrations.mercadolivre.errors import MLNotConnected, MLPlanLimitReached
from integrations.mercadolivre.inbox import notification_process
from integrations.mercadolivre.models import (
    MLAccount,
    MLAccountStatus,
    MLItem,
    MLOrder,
    MLQuestion,
    SyncKind,
    SyncRun,
)
from integrations.mercadolivre.services import (
    ml_account_activate,
    ml_account_pause,
    ml_accounts_fit_plan,
    ml_connect_start,
    ml_disconnect,
)
from integrations.mercadolivre.sync import ml_sync_incremental, ml_sync_initial
from integrations.mercadolivre.sync_now import sync_now_request
from integrations.mercadolivre.tasks import ml_incremental_sync, ml_initial_sync
from integrations.mercadolivre.upserts import items_upsert, questions_upsert
from integrations.models import MLConnection, MLConnectionStatus, NotificationStatus
from tenants.models import Tenant
from tests.integrations.support import connect, notify, on_plan
from tests.support.clients import owner_of
from tests.support.processes import queued_messages, queues_empty
from tests.support.sandbox import approve

pytestmark = pytest.mark.django_db

attach_migration = importlib.import_module(
    "integrations.mercadolivre.migrations.0007_attach_rows_to_account"
)


@pytest.fixture
def two_accounts(sandbox, tenant_a, unlimited):
    """Store A on the Pro plan (two accounts) with sandbox sellers 0 and 1 connected and synced."""
    on_plan(tenant_a, "pro")
    first = connect(sandbox, tenant_a, seller_index=0)
    second = connect(sandbox, tenant_a, seller_index=1)
    for seller_id in (first, second):
        assert ml_sync_initial(tenant=tenant_a, ml_user_id=seller_id).status == "succeeded"
    return tenant_a, first, second


@pytest.fixture
def broker():
    """The broker's queues, empty before the test and after it: this module's tests roll back,
    so what they send must not reach a later test's worker."""
    queues_empty()
    yield
    queues_empty()


def queued() -> list[tuple[str, str, dict[str, object]]]:
    """The messages waiting in the broker: (task, schema, keyword arguments)."""
    return [
        (headers["task"], headers["_schema_name"], ast.literal_eval(headers["kwargsrepr"]))
        for headers in queued_messages()
    ]


def sandbox_rows(sandbox, kind: str, seller_id: int) -> set[object]:
    state = sandbox.server.state
    with state.lock:
        return {
            row.id for row in getattr(state.dataset, kind).values() if row.seller_id == seller_id
        }


# -- connecting ------------------------------------------------------------------------------


def test_a_pro_store_connects_two_sellers_and_syncs_each_into_its_own_account(
    two_accounts, sandbox
):
    tenant, first, second = two_accounts

    with tenant_context(tenant):
        accounts = {a.ml_user_id: a for a in MLAccount.objects.all()}
        assert set(accounts) == {first, second}
        for seller_id, account in accounts.items():
            assert account.status == MLAccountStatus.ACTIVE
            items = set(MLItem.objects.filter(account=account).values_list("id", flat=True))
            assert items == {str(i) for i in sandbox_rows(sandbox, "items", seller_id)}
            orders = set(MLOrder.objects.filter(account=account).values_list("id", flat=True))
            assert orders
            assert orders <= sandbox_rows(sandbox, "orders", seller_id)
            runs = SyncRun.objects.filter(account=account, kind=SyncKind.INITIAL)
            assert runs.filter(status="succeeded").count() == 1
        assert not MLItem.objects.filter(account=None).exists()
    links = MLConnection.objects.filter(tenant=tenant)
    assert set(links.values_list("ml_user_id", flat=True)) == {first, second}


def test_the_plan_limits_how_many_accounts_connect(sandbox, tenant_a):
    connect(sandbox, tenant_a, seller_index=0)  # starter: one account
    started = ml_connect_started(tenant_a)

    response = callback(approve(started, seller_id=sandbox.sellers[1].id))

    assert response.status_code == 400
    assert b"allows 1 Mercado Livre account" in response.content
    with tenant_context(tenant_a):
        assert list(MLAccount.objects.values_list("ml_user_id", flat=True)) == [
            sandbox.sellers[0].id
        ]
    assert MLConnection.objects.filter(tenant=tenant_a).count() == 1

    on_plan(tenant_a, "pro")
    connect(sandbox, tenant_a, seller_index=1)
    response = callback(approve(ml_connect_started(tenant_a), seller_id=sandbox.sellers[2].id))
    assert response.status_code == 400
    assert b"allows 2 Mercado Livre accounts" in response.content


def test_reconnecting_an_account_at_the_limit_is_not_a_new_account(sandbox, tenant_a):
    seller_id = connect(sandbox, tenant_a, seller_index=0)

    assert connect(sandbox, tenant_a, seller_index=0) == seller_id

    with tenant_context(tenant_a):
        assert MLAccount.objects.count() == 1


def test_a_seller_connected_to_one_store_cannot_join_another(sandbox, tenant_a, tenant_b):
    on_plan(tenant_b, "pro")
    connect(sandbox, tenant_a, seller_index=0)

    response = callback(approve(ml_connect_started(tenant_b), seller_id=sandbox.sellers[0].id))

    assert response.status_code == 400
    assert b"e-mail is at a.example.com" in response.content
    assert b"Disconnect it there first" in response.content
    assert MLConnection.objects.get(ml_user_id=sandbox.sellers[0].id).tenant == tenant_a


# -- routing ---------------------------------------------------------------------------------


def test_a_notification_lands_on_the_account_it_names_and_never_on_another(two_accounts, sandbox):
    tenant, _, second = two_accounts
    question_id = min(sandbox_rows(sandbox, "questions", second))
    with tenant_context(tenant):
        MLQuestion.objects.filter(pk=question_id).delete()

    notification = notify(second, question_id)
    assert notification_process(notification_id=notification.pk) == NotificationStatus.PROCESSED

    with tenant_context(tenant):
        stored = MLQuestion.objects.select_related("account").get(pk=question_id)
        assert stored.account.ml_user_id == second


def test_a_payload_of_another_seller_is_not_stored_under_an_account(two_accounts, sandbox):
    tenant, first, second = two_accounts
    with tenant_context(tenant):
        account_a = MLAccount.objects.get(ml_user_id=first)
        item = MLItem.objects.filter(account__ml_user_id=second).first()
        question = MLQuestion.objects.filter(account__ml_user_id=second).first()
        assert item is not None
        assert question is not None

        assert items_upsert([{**item.raw, "title": "hijacked"}], account=account_a) == 0
        assert questions_upsert([question.raw], account=account_a) == 0

        item.refresh_from_db()
        assert (item.account.ml_user_id, item.title) == (second, item.raw["title"])
        assert MLQuestion.objects.get(pk=question.pk).account_id == question.account_id


def test_one_account_needing_reconnection_does_not_stop_the_other(two_accounts, sandbox):
    tenant, first, second = two_accounts
    with tenant_context(tenant):
        MLAccount.objects.filter(ml_user_id=first).update(status=MLAccountStatus.NEEDS_RECONNECTION)

    lapsed = ml_sync_incremental(tenant=tenant, ml_user_id=first)
    working = ml_sync_incremental(tenant=tenant, ml_user_id=second)

    assert (lapsed.status, lapsed.ml_user_id) == ("skipped", first)
    assert (working.status, working.ml_user_id) == ("succeeded", second)


def test_sync_tasks_without_an_account_fan_out_to_each_active_account(
    two_accounts, broker, django_capture_on_commit_callbacks
):
    tenant, first, second = two_accounts

    with tenant_context(tenant), django_capture_on_commit_callbacks(execute=True):
        fanned = ml_incremental_sync.apply().get()
        ml_initial_sync.apply().get()

    assert fanned == {"status": "fanned_out", "accounts": [first, second]}
    # The broker holds each queue newest first.
    assert queued() == [
        ("integrations.ml_initial_sync", "tenant-a", {"full": False, "ml_user_id": second}),
        ("integrations.ml_initial_sync", "tenant-a", {"full": False, "ml_user_id": first}),
        ("integrations.ml_incremental_sync", "tenant-a", {"ml_user_id": second}),
        ("integrations.ml_incremental_sync", "tenant-a", {"ml_user_id": first}),
    ]
    with pytest.raises(MLAccountAmbiguous):
        ml_sync_initial(tenant=tenant)


def test_disconnecting_one_account_keeps_the_other_and_every_row(two_accounts):
    tenant, first, second = two_accounts
    with tenant_context(tenant):
        before = MLItem.objects.count()

    assert ml_disconnect(tenant=tenant, actor=owner_of(tenant), ml_user_id=second) == 1

    with tenant_context(tenant):
        statuses = dict(MLAccount.objects.values_list("ml_user_id", "status"))
        assert statuses == {first: "active", second: "disconnected"}
        assert MLItem.objects.count() == before
        assert MLItem.objects.filter(account__ml_user_id=second).exists()
    assert list(
        MLConnection.objects.filter(tenant=tenant).values_list("ml_user_id", flat=True)
    ) == [first]


# -- the plan's limit after a downgrade ------------------------------------------------------


def test_a_downgrade_pauses_the_newest_account_and_the_seller_chooses(
    two_accounts, broker, django_capture_on_commit_callbacks
):
    tenant, first, second = two_accounts
    on_plan(tenant, "starter")

    plan_changed.send(sender=Tenant, tenant=tenant, previous="pro", plan="starter")

    with tenant_context(tenant):
        statuses = dict(MLAccount.objects.values_list("ml_user_id", "status"))
    assert statuses == {first: "active", second: "paused"}
    assert MLConnection.objects.get(ml_user_id=second).status == MLConnectionStatus.PAUSED
    assert ml_accounts_fit_plan(tenant=tenant) == []  # already within the plan
    assert AuditEvent.objects.filter(action="ml_account_paused").count() == 1

    # A paused account is not synced; its notifications are kept, not processed.
    skipped = ml_sync_incremental(tenant=tenant, ml_user_id=second)
    assert skipped.status == "skipped"

    with pytest.raises(MLPlanLimitReached):
        ml_account_activate(tenant=tenant, actor=owner_of(tenant), ml_user_id=second)

    with django_capture_on_commit_callbacks(execute=True):
        ml_account_pause(tenant=tenant, actor=owner_of(tenant), ml_user_id=first)
        ml_account_activate(tenant=tenant, actor=owner_of(tenant), ml_user_id=second)

    with tenant_context(tenant):
        statuses = dict(MLAccount.objects.values_list("ml_user_id", "status"))
    assert statuses == {first: "paused", second: "active"}
    assert MLConnection.objects.get(ml_user_id=second).status == MLConnectionStatus.ACTIVE
    assert queued() == [("integrations.ml_reconnected", "tenant-a", {"ml_user_id": second})]
    with pytest.raises(MLNotConnected):
        ml_account_activate(tenant=tenant, actor=owner_of(tenant), ml_user_id=second)


def test_a_notification_for_a_paused_account_is_kept_not_processed(two_accounts, sandbox):
    tenant, _, second = two_accounts
    on_plan(tenant, "starter")
    ml_accounts_fit_plan(tenant=tenant)
    question_id = min(sandbox_rows(sandbox, "questions", second))

    notification = notify(second, question_id)

    assert notification_process(notification_id=notification.pk) == NotificationStatus.IGNORED


# -- the migration ---------------------------------------------------------------------------


def test_the_migration_attaches_existing_rows_to_the_account_in_resumable_batches(
    two_accounts, monkeypatch
):
    tenant, first, second = two_accounts
    with tenant_context(tenant):
        MLAccount.objects.filter(ml_user_id=first).update(status=MLAccountStatus.DISCONNECTED)
        kept = set(MLItem.objects.filter(account__ml_user_id=first).values_list("id", flat=True))
        # Rows from before a store could hold several accounts carry none; one item was
        # attached by a run of the migration that stopped midway.
        for model in (MLItem, MLOrder, MLQuestion, SyncRun):
            model.objects.filter(account__ml_user_id=second).update(account=None)
        total = MLItem.objects.filter(account=None).count()
        monkeypatch.setattr(attach_migration, "BATCH", 7)

        attach_migration.attach(None, SimpleNamespace(connection=connection))

        current = MLAccount.objects.get(ml_user_id=second)
        for model in (MLItem, MLOrder, MLQuestion, SyncRun):
            assert not model.objects.filter(account=None).exists(), model
        assert MLItem.objects.filter(account=current).count() == total
        assert (
            set(MLItem.objects.filter(account__ml_user_id=first).values_list("id", flat=True))
            == kept
        )


# -- helpers ---------------------------------------------------------------------------------


def ml_connect_started(tenant: Tenant) -> str:
    return ml_connect_start(tenant=tenant, started_by="test").authorization_url


def callback(params: dict[str, str]):
    return Client(HTTP_HOST="localhost").get("/auth/callback", params)


def test_migrate_schemas_attaches_a_stores_rows_when_run_again(two_accounts):
    tenant, _, second = two_accounts
    with tenant_context(tenant):
        MLAccount.objects.exclude(ml_user_id=second).update(status=MLAccountStatus.DISCONNECTED)
        MLItem.objects.update(account=None)
        MLOrder.objects.update(account=None)
        items = MLItem.objects.count()

    # The test's transaction holds deferred foreign-key checks; an index change (migrating
    # back undoes later migrations' indexes) refuses to run while they are pending.
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    # The store's schema back to before the attachment, then forward as a deploy runs it.
    call_command("migrate_schemas", "mercadolivre", "0006", schema_name=tenant.schema_name)
    call_command("migrate_schemas", "mercadolivre", schema_name=tenant.schema_name)

    with tenant_context(tenant):
        assert MLItem.objects.filter(account__ml_user_id=second).count() == items
        assert not MLOrder.objects.filter(account=None).exists()


# -- what a paused or lapsed account must not hold up ----------------------------------------


def test_the_scheduled_sync_goes_on_with_the_one_active_account_beside_a_paused_one(
    two_accounts,
):
    tenant, first, second = two_accounts
    with tenant_context(tenant):
        MLAccount.objects.filter(ml_user_id=second).update(status=MLAccountStatus.PAUSED)
        # A slice of its initial sync was between two runs when it was paused.
        account = MLAccount.objects.get(ml_user_id=second)
        SyncRun.objects.create(account=account, kind=SyncKind.INITIAL)

    queued = sync_now_request(tenant=tenant, requested_by="owner@a.example.com")
    with tenant_context(tenant):
        outcome = ml_incremental_sync.apply().get()

    assert queued.kind == SyncKind.INCREMENTAL
    assert (outcome["status"], outcome["ml_user_id"]) == ("succeeded", first)


def test_activating_a_paused_account_that_had_lapsed_asks_for_a_reconnection(two_accounts):
    tenant, _, second = two_accounts
    with tenant_context(tenant):
        MLAccount.objects.filter(ml_user_id=second).update(
            status=MLAccountStatus.PAUSED, needs_reconnection_since=timezone.now()
        )

    ml_account_activate(tenant=tenant, actor=owner_of(tenant), ml_user_id=second)

    with tenant_context(tenant):
        assert MLAccount.objects.get(ml_user_id=second).status == "needs_reconnection"


def test_reconnecting_a_paused_account_makes_it_active_when_the_plan_has_room(
    two_accounts, sandbox
):
    tenant, _, second = two_accounts
    ml_account_pause(tenant=tenant, actor=owner_of(tenant), ml_user_id=second)

    connect(sandbox, tenant, seller_index=1)

    with tenant_context(tenant):
        assert MLAccount.objects.get(ml_user_id=second).status == MLAccountStatus.ACTIVE
    assert MLConnection.objects.get(ml_user_id=second).status == MLConnectionStatus.ACTIVE


def test_a_question_is_answered_as_the_account_it_was_asked_of(two_accounts, sandbox):
    tenant, _, second = two_accounts
    with tenant_context(tenant):
        question = MLQuestion.objects.filter(
            account__ml_user_id=second, status="UNANSWERED"
        ).first()
        assert question is not None

    answered = ml_question_answer(tenant=tenant, question_id=question.pk, text="Temos, sim!")

    assert (answered.status, answered.answer_text) == ("ANSWERED", "Temos, sim!")
    ml_account_pause(tenant=tenant, actor=owner_of(tenant), ml_user_id=second)
    with tenant_context(tenant):
        other = MLQuestion.objects.filter(account__ml_user_id=second, status="UNANSWERED")
        pending = other.first()
    assert pending is not None
    with pytest.raises(MLAccountPaused):
        ml_question_answer(tenant=tenant, question_id=pending.pk, text="Temos!")


def test_the_scheduled_pass_attaches_rows_an_old_process_wrote_without_an_account(
    sandbox, tenant_a, unlimited
):
    seller_id = connect(sandbox, tenant_a)
    ml_sync_initial(tenant=tenant_a, ml_user_id=seller_id)
    with tenant_context(tenant_a):
        # Written during a deploy by a worker still running the previous release.
        MLItem.objects.filter(pk__in=MLItem.objects.values("pk")[:3]).update(account=None)
        MLOrder.objects.update(account=None)

        ml_incremental_sync.apply().get()

        assert not MLItem.objects.filter(account=None).exists()
        assert not MLOrder.objects.filter(account=None).exists()


def test_the_initial_sync_command_asks_which_account_of_several(two_accounts, capsys):
    tenant, first, second = two_accounts

    with pytest.raises(CommandError) as refused:
        call_command("initial_sync", "--tenant-id", str(tenant.public_id))
    call_command("initial_sync", "--tenant-id", str(tenant.public_id), "--ml-user-id", str(second))

    assert "--ml-user-id" in str(refused.value)
    assert str(first) in str(refused.value)
    assert str(second) in str(refused.value)
    summary = json.loads(capsys.readouterr().out)
    assert (summary["ml_user_id"], summary["status"]) == (second, "already_done")


def test_a_paused_account_takes_no_place_in_the_plans_usage(two_accounts):
    tenant, _, second = two_accounts
    ml_account_pause(tenant=tenant, actor=owner_of(tenant), ml_user_id=second)

    assert usage_for(tenant=tenant, names=[ML_ACCOUNTS])[ML_ACCOUNTS] == 1
