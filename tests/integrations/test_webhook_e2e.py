"""The whole notification path with real processes: sandbox → gunicorn → inbox → Celery worker.

Faults on the way: duplicates and ML's payload quirks from the sandbox, rate limiting on its
API, redeliveries in reverse order, a worker killed mid-task, Redis or PostgreSQL missing.
"""

import json
import signal
import time
from contextlib import ExitStack

import httpx
import pytest
from django.conf import settings
from django_tenants.utils import tenant_context

from doubles.mercadolivre import SandboxConfig, SandboxServer
from integrations.mercadolivre.client import MLClient
from integrations.mercadolivre.inbox import ML_INBOX
from integrations.mercadolivre.missed_feeds import missed_feeds_recover
from integrations.mercadolivre.models import MLItem, MLOrder, MLQuestion
from integrations.mercadolivre.priorities import Priority
from integrations.mercadolivre.upserts import cents, moment
from integrations.models import MLNotification
from tenants.models import Tenant
from tests.integrations.support import connect
from tests.support.processes import celery_worker, free_port, web_server
from tests.support.sandbox import SandboxAdmin
from tests.support.waiting import wait_until

pytestmark = pytest.mark.usefixtures("committed_db")

STUCK_SECONDS = 3


@pytest.fixture
def rig(settings):
    """A sandbox that notifies a real web server, both pointed at each other."""
    port = free_port()
    sandbox = SandboxServer(
        SandboxConfig(
            client_id=settings.ML_CLIENT_ID,
            client_secret=settings.ML_CLIENT_SECRET,
            redirect_uris=(settings.ML_REDIRECT_URI,),
            sellers=1,
            items=20,
            orders=10,
            questions=5,
            webhook_url=f"http://localhost:{port}/api/webhook/mercado-livre",
            notify_retry_scale=0.01,
        )
    )
    sandbox.start()
    settings.ML_API_BASE = settings.ML_AUTH_BASE = sandbox.url
    settings.ML_RATE_LIMIT_PER_MINUTE = settings.ML_SELLER_RATE_LIMIT_PER_MINUTE = 100_000
    settings.ML_INBOX_STUCK_SECONDS = STUCK_SECONDS
    env = {
        "ML_API_BASE": sandbox.url,
        "ML_AUTH_BASE": sandbox.url,
        "ML_RATE_LIMIT_PER_MINUTE": "100000",
        "ML_SELLER_RATE_LIMIT_PER_MINUTE": "100000",
        "ML_INBOX_STUCK_SECONDS": str(STUCK_SECONDS),
    }
    try:
        yield sandbox, port, env
    finally:
        sandbox.stop()


def settled():
    return not MLNotification.objects.filter(status__in=["pending", "processing"]).exists()


def reconciled_and_settled():
    """The inbox's periodic reconcile, run on each look, then whether everything settled."""
    ML_INBOX.reconcile()
    return settled()


def test_every_notification_is_processed_once_and_the_store_matches_ml(rig):
    sandbox, port, env = rig
    admin = SandboxAdmin(sandbox, settings.ML_CLIENT_SECRET)
    tenant = Tenant.objects.get(schema_name="tenant-a")
    seller_id = connect(admin, tenant)
    admin.faults(
        quirks=True, duplicate=True, rate_limit_fraction=0.2, retry_after=1, latency_ms=150
    )
    events = ["order_updated", "order_created", "item_updated", "question_created"] * 6

    with ExitStack() as stack:
        stack.enter_context(web_server(port, **env))
        first_worker = stack.enter_context(celery_worker(**env))
        changed = [
            admin.http.post("/_sandbox/events", json={"type": kind, "seller_id": seller_id}).json()
            for kind in events
        ]
        assert wait_until(lambda: sandbox.state.notifier.summary()["pending"] == 0, timeout=60)
        # Kill the worker while it is busy, then let another take over.
        assert wait_until(
            lambda: MLNotification.objects.filter(status="processed").count() >= 5, timeout=60
        )
        first_worker.send_signal(signal.SIGKILL)
        first_worker.wait(10)
        # Old redeliveries arriving late and in reverse order change nothing.
        for row in list(MLNotification.objects.order_by("-pk")[:10]):
            replay = {**row.payload, "_id": f"late-{row.pk}", "attempts": 5}
            replay.pop("id", None)
            response = httpx.post(
                f"http://localhost:{port}/api/webhook/mercado-livre",
                content=json.dumps(replay),
                headers={"content-type": "application/json"},
            )
            assert response.status_code == 200
        stack.enter_context(celery_worker(**env))
        assert wait_until(reconciled_and_settled, timeout=180, every=1)

    rows = list(MLNotification.objects.exclude(status="ignored"))
    # Each event is one row: its duplicate (same event, no _id) and ML's redeliveries of it are
    # absorbed by the key; only the late replays, sent with ids of their own, add rows.
    late = [row for row in rows if row.dedup_key.startswith("ml:late-")]
    assert len(late) == 10
    assert len(rows) - len(late) == len(events)
    assert {row.status for row in rows} == {"processed"}
    assert {row.tenant_id for row in rows} == {tenant.pk}
    assert all(row.processed_at is not None for row in rows)
    assert sum(1 for row in rows if row.tries > 1) <= 2  # the one the killed worker held
    assert_store_matches_sandbox(admin, tenant, seller_id, changed)


def assert_store_matches_sandbox(admin, tenant, seller_id, changed):
    admin.faults(rate_limit_fraction=0.0, latency_ms=0)
    with tenant_context(tenant):
        client = MLClient.for_current_store(priority=Priority.HIGH)
        for resource in changed:
            if "order_items" in resource:
                ml = client.get(f"/orders/{resource['id']}").data
                ours = MLOrder.objects.get(pk=ml["id"])
                assert ours.status == ml["status"]
                assert ours.last_updated == moment(ml["date_last_updated"])
                assert ours.total_cents == cents(ml["total_amount"])
                assert ours.buyer_nickname == ml["buyer"]["nickname"]
            elif "text" in resource:
                ml = client.get(f"/questions/{resource['id']}", {"api_version": 4}).data
                ours = MLQuestion.objects.get(pk=ml["id"])
                assert (ours.text, ours.status) == (ml["text"], ml["status"])
            else:
                ml = client.get(f"/items/{resource['id']}").data
                ours = MLItem.objects.get(pk=ml["id"])
                assert (ours.title, ours.price_cents, ours.available_quantity) == (
                    ml["title"],
                    cents(ml["price"]),
                    ml["available_quantity"],
                )
                assert ours.last_updated == moment(ml["last_updated"])


def test_with_redis_down_webhooks_are_accepted_and_processed_once_it_returns(rig):
    sandbox, port, env = rig
    admin = SandboxAdmin(sandbox, settings.ML_CLIENT_SECRET)
    tenant = Tenant.objects.get(schema_name="tenant-a")
    seller_id = connect(admin, tenant)
    dead_redis = "unix:///nonexistent/peepers/redis.sock?db=2"

    with web_server(port, **env, REDIS_URL=dead_redis):
        changed = admin.http.post(
            "/_sandbox/events", json={"type": "order_updated", "seller_id": seller_id}
        ).json()
        assert wait_until(lambda: MLNotification.objects.exists(), timeout=30)
        # A fresh worker's first answer may take over 500 ms; ML's retry then gets a quick 200.
        assert wait_until(lambda: sandbox.state.notifier.summary()["delivered"] >= 1, timeout=30)

    row = MLNotification.objects.get()
    assert row.status == "pending"
    assert row.enqueued_at is None  # the broker was unreachable
    with celery_worker(**env):
        assert wait_until(reconciled_and_settled, timeout=60, every=0.5)
    row.refresh_from_db()
    assert row.status == "processed"
    with tenant_context(tenant):
        assert MLOrder.objects.get(pk=changed["id"]).last_updated == moment(
            changed["date_last_updated"]
        )


def test_with_the_database_down_the_webhook_answers_503_at_once(rig):
    _, port, env = rig
    no_database = "postgres://postgres@%2Fnonexistent%2Fpeepers:5432/peepers"

    url = f"http://localhost:{port}/api/webhook/mercado-livre"
    body = {
        "topic": "orders_v2",
        "resource": "/orders/1",
        "user_id": 1,
        "application_id": settings.ML_CLIENT_ID,
    }
    with web_server(port, **env, DATABASE_URL=no_database):
        for _ in range(4):  # warm each gunicorn worker's connections (not what is measured)
            httpx.post(url, json=body, timeout=30)
        started = time.monotonic()
        response = httpx.post(url, json=body, timeout=10)
        elapsed = time.monotonic() - started

    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    # Generous bound: this shows there is no hang; make bench measures the real latency.
    assert elapsed < 1.0


def test_missed_feeds_are_recovered_into_the_inbox(rig):
    sandbox, _, _ = rig  # nothing listens on the web server's port: deliveries fail
    admin = SandboxAdmin(sandbox, settings.ML_CLIENT_SECRET)
    tenant = Tenant.objects.get(schema_name="tenant-a")
    seller_id = connect(admin, tenant)
    admin.http.post("/_sandbox/events", json={"type": "order_updated", "seller_id": seller_id})
    assert wait_until(lambda: sandbox.state.notifier.summary()["missed"] >= 1, timeout=60)

    recovered = missed_feeds_recover()
    again = missed_feeds_recover()

    assert recovered >= 1
    assert again == 0  # the dedup key absorbs what was already recovered
    row = MLNotification.objects.get(source="missed_feeds", topic="orders_v2")
    assert row.ml_user_id == seller_id
    assert row.status == "pending"
