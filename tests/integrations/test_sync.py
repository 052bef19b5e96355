"""The initial and incremental syncs against the sandbox running as a real HTTP server."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from datetime import datetime, timedelta

import pytest
from django.conf import settings as django_settings
from django.core.management import CommandError, call_command
from django.db import connection, connections
from django.utils import timezone
from django_tenants.utils import tenant_context

from doubles.mercadolivre import SandboxConfig, SandboxServer
from doubles.mercadolivre.render import item_json, order_json, question_json
from integrations.mercadolivre.client import MLClient
from integrations.mercadolivre.models import (
    MLAccount,
    MLAccountStatus,
    MLItem,
    MLOrder,
    MLQuestion,
    SyncKind,
    SyncRun,
    SyncStatus,
)
from integrations.mercadolivre.priorities import Priority
from integrations.mercadolivre.sync import (
    SyncAlreadyRunning,
    ml_sync_incremental,
    ml_sync_initial,
)
from integrations.mercadolivre.sync import items as sync_items
from integrations.mercadolivre.tasks import ml_incremental_sync, ml_initial_sync
from tenants.models import Tenant
from tests.integrations.support import UNLIMITED, connect, on_plan
from tests.support.processes import BASE_DIR, child_environment
from tests.support.sandbox import SandboxAdmin
from tests.support.waiting import wait_until

BIG = 2000
# The big seller has 2,000 items; the starter plan stores 1,000 (billing's limit).
BIG_PLAN = "business"


# -- a seller with 2,000 items and 2,000 orders ------------------------------------------------


@pytest.fixture(scope="module")
def big_server():
    server = SandboxServer(
        SandboxConfig(
            client_id=django_settings.ML_CLIENT_ID,
            client_secret=django_settings.ML_CLIENT_SECRET,
            redirect_uris=(django_settings.ML_REDIRECT_URI,),
            sellers=1,
            items=BIG,
            orders=BIG,
            questions=60,
            seed=23,
            webhook_url=None,
        ),
        host="127.0.0.1",
        port=0,
    )
    server.start()
    try:
        yield SandboxAdmin(server, django_settings.ML_CLIENT_SECRET)
    finally:
        server.stop()


@pytest.fixture
def big_sandbox(big_server, settings):
    big_server.reset()
    settings.ML_API_BASE = settings.ML_AUTH_BASE = big_server.server.url
    settings.ML_RATE_LIMIT_PER_MINUTE = settings.ML_SELLER_RATE_LIMIT_PER_MINUTE = UNLIMITED
    return big_server


def connected(sandbox, tenant):
    """Connect ``tenant``; the test client leaves the connection in public, so re-enter."""
    on_plan(tenant, BIG_PLAN)
    connect(sandbox, tenant)
    return tenant_context(tenant)


def initial_run():
    return SyncRun.objects.get(kind=SyncKind.INITIAL)


def item_columns(item):
    body = item_json(item)
    return {
        "id": item.id,
        "title": item.title,
        "price_cents": item.price_cents,
        "currency": "BRL",
        "available_quantity": item.available_quantity,
        "sold_quantity": item.sold_quantity,
        "status": item.status,
        "permalink": body["permalink"],
        "thumbnail": body["secure_thumbnail"],
        "category_id": item.category_id,
        "listing_type_id": item.listing_type_id,
        "sku": item.sku or "",
        "date_created": item.date_created,
        "last_updated": item.last_updated,
        "raw": body,
    }


def order_columns(order, seller):
    return {
        "id": order.id,
        "status": order.status,
        "date_created": order.date_created,
        "date_closed": order.date_closed,
        "last_updated": order.date_last_updated,
        "total_cents": order.total_cents,
        "paid_cents": order.total_cents if order.is_paid else 0,
        "currency": "BRL",
        "buyer_id": order.buyer.id,
        "buyer_nickname": order.buyer.nickname,
        "items": [
            {
                "item_id": line.item_id,
                "title": line.title,
                "quantity": line.quantity,
                "unit_price_cents": line.unit_price_cents,
            }
            for line in order.lines
        ],
        "payments": [
            {
                "id": payment.id,
                "status": payment.status,
                "amount_cents": payment.amount_cents,
                "method": payment.payment_method_id,
            }
            for payment in order.payments
        ],
        "shipping_id": order.shipment_id,
        "raw": order_json(order, seller),
    }


def question_columns(question):
    return {
        "id": question.id,
        "item_id": question.item_id,
        "text": question.text,
        "status": question.status,
        "date_created": question.date_created,
        "last_updated": question.last_updated,
        "from_id": question.buyer_id,
        "answer_text": "",
        "raw": question_json(question, by_id=False),  # stored from /questions/search
    }


def stored(model, fields):
    return {row["id"]: row for row in model.objects.values("id", *fields)}


@pytest.mark.django_db
def test_initial_sync_matches_the_sandbox_field_for_field(big_sandbox, tenant_a):
    state = big_sandbox.server.state
    seller = state.sellers[0]
    with connected(big_sandbox, tenant_a):
        outcome = ml_sync_initial(tenant=tenant_a)
        run = initial_run()

        since = datetime.fromisoformat(run.cursor["orders"]["since"])
        expected_items = {i.id: item_columns(i) for i in state.dataset.items.values()}
        expected_orders = {
            o.id: order_columns(o, seller)
            for o in state.dataset.orders.values()
            if o.date_created >= since
        }
        expected_questions = {
            q.id: question_columns(q)
            for q in state.dataset.questions.values()
            if q.status == "UNANSWERED"
        }
        assert len(expected_items) == BIG
        assert len(expected_orders) > BIG * 0.9  # the data is younger than a year
        fields = [f for f in next(iter(expected_items.values())) if f != "id"]
        assert stored(MLItem, fields) == expected_items
        fields = [f for f in next(iter(expected_orders.values())) if f != "id"]
        assert stored(MLOrder, fields) == expected_orders
        fields = [f for f in next(iter(expected_questions.values())) if f != "id"]
        assert stored(MLQuestion, fields) == expected_questions

    assert outcome.status == "succeeded"
    assert run.status == SyncStatus.SUCCEEDED
    assert run.phase == "done"
    assert run.totals == {
        "items": BIG,
        "orders": len(expected_orders),
        "questions": len(expected_questions),
    }
    assert run.counts["items"] == BIG
    assert run.cursor["orders"]["splits"] >= 1  # 2,000 orders do not fit one 1,000-offset window
    # 20 scan pages of 100 and 100 multigets of 20: no per-item GET, no empty last page.
    assert run.cursor["calls"]["items"] == BIG // 100 + BIG // 20
    assert run.ml_calls == sum(run.cursor["calls"].values())
    assert run.finished_at is not None
    assert run.heartbeat_at >= run.started_at


# -- killed halfway, run again ---------------------------------------------------------------


def initial_sync_process(sandbox, tenant, *extra):
    env = child_environment(
        ML_API_BASE=sandbox.server.url,
        ML_AUTH_BASE=sandbox.server.url,
        ML_RATE_LIMIT_PER_MINUTE=str(UNLIMITED),
        ML_SELLER_RATE_LIMIT_PER_MINUTE=str(UNLIMITED),
    )
    return subprocess.Popen(
        [
            sys.executable,
            "manage.py",
            "initial_sync",
            "--tenant-id",
            str(tenant.public_id),
            *extra,
        ],
        cwd=BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def wait_until_no_advisory_locks(timeout=10.0):
    """A killed process's session lock goes when PostgreSQL notices the closed connection."""

    def released():
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'")
            return cursor.fetchone()[0] == 0

    wait_until(
        released,
        timeout=timeout,
        every=0.05,
        message="the killed process's advisory lock was never released",
    )


@pytest.mark.usefixtures("committed_db")
def test_initial_sync_killed_halfway_completes_without_duplicates_when_run_again(big_sandbox):
    # Not the tenant_a fixture: it wraps the test in a transaction the child could not see.
    tenant_a = Tenant.objects.get(schema_name="tenant-a")
    state = big_sandbox.server.state
    on_plan(tenant_a, BIG_PLAN)
    connect(big_sandbox, tenant_a)
    # Slow ML down a little so that "halfway" lasts long enough to be caught.
    big_sandbox.faults(latency_ms=15)
    first = initial_sync_process(big_sandbox, tenant_a)
    try:

        def halfway() -> bool:
            assert first.poll() is None, first.communicate()[1].decode()[-2000:]
            with tenant_context(tenant_a):
                run = SyncRun.objects.filter(kind=SyncKind.INITIAL).first()
                return int((run.counts if run else {}).get("items", 0)) >= BIG // 2

        wait_until(halfway, timeout=60, every=0.02, message="no progress within a minute")
        os.kill(first.pid, signal.SIGKILL)
    finally:
        first.kill()
        first.communicate(timeout=10)  # reaps it and closes its pipes
    assert first.returncode == -signal.SIGKILL
    wait_until_no_advisory_locks()
    with tenant_context(tenant_a):
        killed = initial_run()
        assert killed.status == SyncStatus.RUNNING
        assert BIG // 2 <= killed.counts["items"] < BIG
        calls_before = killed.ml_calls

    big_sandbox.faults(latency_ms=0)
    second = initial_sync_process(big_sandbox, tenant_a)
    out, err = second.communicate(timeout=120)
    assert second.returncode == 0, err.decode()[-2000:]
    summary = json.loads(out)
    # The progress display, one line at a time when stderr is not a terminal.
    assert re.search(rb"^items +\[[#.]{30}\] \d+/2000  \(\d+ ML calls\)$", err, re.MULTILINE), err

    with tenant_context(tenant_a):
        run = SyncRun.objects.get()  # the same run, resumed: no second one
        since = datetime.fromisoformat(run.cursor["orders"]["since"])
        expected_orders = [o for o in state.dataset.orders.values() if o.date_created >= since]
        assert run.pk == killed.pk
        assert run.status == SyncStatus.SUCCEEDED
        assert MLItem.objects.count() == BIG
        assert set(MLItem.objects.values_list("id", flat=True)) == set(state.dataset.items)
        assert MLOrder.objects.count() == len(expected_orders)
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM (SELECT id FROM mercadolivre_mlitem GROUP BY id "
                "HAVING count(*) > 1) AS twice"
            )
            assert cursor.fetchone()[0] == 0
        # The second process did not read the catalogue again.
        assert run.ml_calls - calls_before < (BIG // 100 + BIG // 20) * 0.75
    assert summary["status"] == "succeeded"
    assert summary["resumed"] is True
    assert summary["stored"]["items"] == BIG


# -- resuming, restarting, skipping ---------------------------------------------------------


@pytest.mark.django_db
def test_expired_scroll_restarts_the_scan_without_fetching_stored_items_again(
    sandbox, tenant_a, unlimited, monkeypatch
):
    monkeypatch.setattr(sync_items, "ITEMS_SCAN_PAGE", 10)
    seller_id = sandbox.sellers[0].id
    items = sum(i.seller_id == seller_id for i in sandbox.server.state.dataset.items.values())
    assert items == 30
    with connected(sandbox, tenant_a):
        # A zero time budget stops after every page, like a worker hitting its slice.
        outcome = ml_sync_initial(tenant=tenant_a, time_budget=0)
        while initial_run().cursor.get("items", {}).get("seen", 0) < 10:
            assert outcome.status == "paused"
            outcome = ml_sync_initial(tenant=tenant_a, time_budget=0)
        for scroll in sandbox.server.state.scrolls.values():
            scroll.expires_at = 0  # five minutes pass

        outcome = ml_sync_initial(tenant=tenant_a)

        run = initial_run()
        assert outcome.status == "succeeded"
        assert outcome.resumed is True
        assert run.cursor["items"]["restarts"] == 1
        assert MLItem.objects.count() == items
        # First page 1 scan + 1 multiget; refused scroll 1; rescan 3 pages, multigets only for
        # the 20 items not stored yet (2). Reading everything again would be 3 more.
        assert run.cursor["calls"]["items"] == 2 + 1 + 3 + 2


@pytest.mark.django_db
def test_a_page_lost_between_reading_and_saving_is_found_by_one_more_scan(
    sandbox, tenant_a, unlimited, monkeypatch
):
    monkeypatch.setattr(sync_items, "ITEMS_SCAN_PAGE", 10)
    with connected(sandbox, tenant_a):
        outcome = ml_sync_initial(tenant=tenant_a, time_budget=0)
        while initial_run().cursor.get("items", {}).get("seen", 0) < 10:
            outcome = ml_sync_initial(tenant=tenant_a, time_budget=0)
        # A process read the next page, then died before saving the cursor.
        scroll_id = initial_run().cursor["items"]["scroll_id"]
        lost = MLClient.for_current_store(priority=Priority.MEDIUM).get(
            f"/users/{sandbox.sellers[0].id}/items/search",
            {"search_type": "scan", "scroll_id": scroll_id, "limit": 10},
        )
        assert len(lost.data["results"]) == 10

        outcome = ml_sync_initial(tenant=tenant_a)

        assert outcome.status == "succeeded"
        assert set(lost.data["results"]) <= set(MLItem.objects.values_list("id", flat=True))
        assert MLItem.objects.count() == 30
        assert initial_run().cursor["items"]["rescanned"] is True


@pytest.mark.django_db
def test_incremental_sync_picks_up_a_changed_order_and_item_only(sandbox, tenant_a, unlimited):
    seller_id = sandbox.sellers[0].id
    with connected(sandbox, tenant_a):
        ml_sync_initial(tenant=tenant_a)
        before = dict(MLItem.objects.values_list("id", "synced_at"))
        order = sandbox.http.post(
            "/_sandbox/events", json={"type": "order_updated", "seller_id": seller_id}
        ).json()
        item = sandbox.http.post(
            "/_sandbox/events", json={"type": "item_updated", "seller_id": seller_id}
        ).json()
        created = sandbox.http.post(
            "/_sandbox/events", json={"type": "order_created", "seller_id": seller_id}
        ).json()
        question = sandbox.http.post(
            "/_sandbox/events", json={"type": "question_created", "seller_id": seller_id}
        ).json()

        outcome = ml_sync_incremental(tenant=tenant_a)

        assert outcome.status == "succeeded"
        stored_order = MLOrder.objects.get(pk=order["id"])
        assert stored_order.raw == order
        assert MLOrder.objects.get(pk=created["id"]).raw == created
        stored_item = MLItem.objects.get(pk=item["id"])
        assert stored_item.raw == item
        assert stored_item.price_cents == round(item["price"] * 100)
        assert MLQuestion.objects.get(pk=question["id"]).status == "UNANSWERED"
        refreshed = {
            item_id
            for item_id, synced_at in MLItem.objects.values_list("id", "synced_at")
            if synced_at != before[item_id]
        }
        assert refreshed == {item["id"]}
        run = SyncRun.objects.get(kind=SyncKind.INCREMENTAL)
        # orders 1, items: search + id/last_updated multiget + one full multiget, questions 1
        assert run.ml_calls <= 6
        assert run.cursor["calls"]["items"] == 3


@pytest.mark.django_db
def test_incremental_sync_with_nothing_changed_reads_little_and_writes_nothing(
    sandbox, tenant_a, unlimited
):
    with connected(sandbox, tenant_a):
        ml_sync_initial(tenant=tenant_a)
        before = dict(MLItem.objects.values_list("id", "synced_at"))

        first = ml_sync_incremental(tenant=tenant_a)
        second = ml_sync_incremental(tenant=tenant_a)

        assert first.status == second.status == "succeeded"
        assert dict(MLItem.objects.values_list("id", "synced_at")) == before
        assert second.ml_calls <= 4
        assert SyncRun.objects.filter(kind=SyncKind.INCREMENTAL).count() == 2


@pytest.mark.django_db
def test_initial_sync_is_enqueued_when_the_seller_connects(
    sandbox, tenant_a, unlimited, django_capture_on_commit_callbacks, monkeypatch
):
    sent = []
    monkeypatch.setattr(
        ml_initial_sync, "apply_async", lambda *args, **options: sent.append(options)
    )
    with django_capture_on_commit_callbacks(execute=True):
        connect(sandbox, tenant_a)

    assert [options["headers"]["_schema_name"] for options in sent] == ["tenant-a"]
    monkeypatch.undo()
    with tenant_context(tenant_a):
        result = ml_initial_sync.apply().get()
    assert result["status"] == "succeeded"
    with tenant_context(tenant_a):
        assert MLItem.objects.count() == 30


@pytest.mark.django_db
def test_incremental_sync_skips_stores_without_a_usable_account(sandbox, tenant_a, tenant_b):
    with connected(sandbox, tenant_a):
        MLAccount.objects.update(status=MLAccountStatus.NEEDS_RECONNECTION)
    requests = sum(sandbox.server.state.requests.values())

    with tenant_context(tenant_b):
        result = ml_incremental_sync.apply().get()
    outcome = ml_sync_incremental(tenant=tenant_a)

    assert result["status"] == outcome.status == "skipped"
    assert sum(sandbox.server.state.requests.values()) == requests
    for tenant in (tenant_a, tenant_b):
        with tenant_context(tenant):
            assert not SyncRun.objects.exists()


@pytest.mark.django_db
def test_incremental_sync_before_any_initial_sync_enqueues_it(
    sandbox, tenant_a, django_capture_on_commit_callbacks, monkeypatch
):
    sent = []
    monkeypatch.setattr(
        ml_initial_sync, "apply_async", lambda *args, **options: sent.append(options)
    )
    with connected(sandbox, tenant_a), django_capture_on_commit_callbacks(execute=True):
        outcome = ml_sync_incremental(tenant=tenant_a)

    assert outcome.status == "skipped"
    assert "initial" in outcome.reason
    assert [options["headers"]["_schema_name"] for options in sent] == ["tenant-a"]


@pytest.mark.django_db
def test_incremental_sync_restarts_an_initial_sync_that_died_but_not_a_live_one(
    sandbox, tenant_a, django_capture_on_commit_callbacks, monkeypatch
):
    sent = []
    monkeypatch.setattr(
        ml_initial_sync, "apply_async", lambda *args, **options: sent.append(options)
    )
    with connected(sandbox, tenant_a), django_capture_on_commit_callbacks(execute=True):
        # Between two slices.
        unfinished = SyncRun.objects.create(kind=SyncKind.INITIAL, account=MLAccount.objects.get())
        live = ml_sync_incremental(tenant=tenant_a)
        SyncRun.objects.filter(pk=unfinished.pk).update(
            heartbeat_at=timezone.now() - timedelta(hours=1)
        )
        dead = ml_sync_incremental(tenant=tenant_a)

    assert live.status == dead.status == "skipped"
    assert "between slices" in live.reason
    assert len(sent) == 1


@pytest.mark.django_db
def test_a_second_initial_sync_while_one_runs_is_refused(sandbox, tenant_a):
    seller_id = connect(sandbox, tenant_a)
    other = connections.create_connection("default")  # another session, as another process
    try:
        with other.cursor() as cursor:
            cursor.execute(
                "SELECT pg_advisory_lock(hashtextextended(%s, 0))",
                [f"ml-sync:{tenant_a.schema_name}:{seller_id}:initial"],
            )
        with pytest.raises(SyncAlreadyRunning):
            ml_sync_initial(tenant=tenant_a)
    finally:
        other.close()


# -- the command -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_command_full_sync_abandons_the_unfinished_run(sandbox, tenant_a, unlimited, capsys):
    with connected(sandbox, tenant_a):
        ml_sync_initial(tenant=tenant_a, time_budget=0)
        unfinished = initial_run()
    call_command("initial_sync", "--tenant-id", str(tenant_a.public_id), "--full-sync")

    summary = json.loads(capsys.readouterr().out)
    assert summary["status"] == "succeeded"
    assert summary["resumed"] is False
    with tenant_context(tenant_a):
        unfinished.refresh_from_db()
        assert unfinished.status == SyncStatus.FAILED
        assert "superseded" in unfinished.error
        assert SyncRun.objects.filter(status=SyncStatus.SUCCEEDED).count() == 1


@pytest.mark.django_db
def test_initial_sync_after_one_succeeded_does_nothing_without_full_sync(
    sandbox, tenant_a, unlimited
):
    with connected(sandbox, tenant_a):
        ml_sync_initial(tenant=tenant_a)
        calls = sum(sandbox.server.state.requests.values())

    outcome = ml_sync_initial(tenant=tenant_a)

    assert outcome.status == "already_done"
    assert sum(sandbox.server.state.requests.values()) == calls


@pytest.mark.django_db
def test_command_explains_an_unknown_store_and_one_not_connected(tenant_a):
    with pytest.raises(CommandError, match="no store has id"):
        call_command("initial_sync", "--tenant-id", "6d1c2b1e-0000-4000-8000-000000000000")
    with pytest.raises(CommandError, match="not a UUID"):
        call_command("initial_sync", "--tenant-id", "tenant-a")
    with pytest.raises(CommandError, match="has not connected a Mercado Livre account"):
        call_command("initial_sync", "--tenant-id", str(tenant_a.public_id))
