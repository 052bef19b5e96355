"""Processing the inbox: route by ML user, fetch, upsert; retries, dead letters, replay."""

import json
from datetime import timedelta

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone
from django_tenants.utils import tenant_context

from core.metrics import metric_read
from core.redis import redis_client
from inbox.ledger import MAX_TRIES, RETRY_DELAYS
from integrations.mercadolivre.client import MLClient
from integrations.mercadolivre.inbox import (
    ML_INBOX,
    notification_process,
    notifications_dead_of_disconnection,
)
from integrations.mercadolivre.models import MLAccount, MLItem, MLOrder, MLQuestion
from integrations.mercadolivre.priorities import Priority
from integrations.mercadolivre.upserts import orders_upsert
from integrations.models import MLNotification
from tests.factories.inbox import ml_notification
from tests.integrations.support import connect

pytestmark = pytest.mark.django_db


@pytest.fixture
def store(sandbox, tenant_a, settings):
    settings.ML_RATE_LIMIT_PER_MINUTE = settings.ML_SELLER_RATE_LIMIT_PER_MINUTE = 100_000
    seller_id = connect(sandbox, tenant_a)
    return tenant_a, seller_id


def first(tenant, path, params, key="results"):
    with tenant_context(tenant):
        return MLClient.for_current_store(priority=Priority.HIGH).get(path, params).data[key][0]


def deliver(seller_id, topic, resource, _id):
    body = {
        "_id": _id,
        "resource": resource,
        "user_id": seller_id,
        "topic": topic,
        "application_id": "peepers-sandbox-app",
        "attempts": 1,
        "sent": "2026-11-27T10:00:00.000Z",
    }
    response = Client(HTTP_HOST="localhost").post(
        "/api/webhook/mercado-livre", json.dumps(body), content_type="application/json"
    )
    assert response.status_code == 200
    return MLNotification.objects.get(dedup_key=f"ml:{_id}")


def breaker_reopens_in(clock):
    """Seconds until the ML API breaker lets a probe through, on ``clock``."""
    opened_at = float(redis_client().get("ml:cb:api:opened_at"))
    return opened_at + settings.ML_BREAKER_RESET_SECONDS - clock.now()


def test_an_order_notification_stores_the_order_in_the_sellers_store(store, clock):
    tenant, seller_id = store
    order = first(tenant, "/orders/search", {"seller": seller_id})
    row = deliver(seller_id, "orders_v2", f"/orders/{order['id']}", "n1")
    # Metrics live in Redis for an hour: count this notification, not earlier tests' ones.
    before = metric_read("ml_notifications").get("outcome=processed,topic=orders_v2", 0)

    assert notification_process(notification_id=row.pk, clock=clock) == "processed"

    row.refresh_from_db()
    assert row.status == "processed"
    assert row.tenant == tenant
    assert row.tries == 1
    with tenant_context(tenant):
        stored = MLOrder.objects.get(pk=order["id"])
    assert stored.status == order["status"]
    assert stored.total_cents == round(order["total_amount"] * 100)
    assert stored.buyer_nickname == order["buyer"]["nickname"]
    assert metric_read("ml_notifications").get("outcome=processed,topic=orders_v2") == before + 1


def test_item_and_question_notifications(store, clock):
    tenant, seller_id = store
    item_id = first(tenant, f"/users/{seller_id}/items/search", {})
    question = first(
        tenant, "/questions/search", {"seller_id": seller_id, "api_version": 4}, key="questions"
    )

    for topic, resource, _id in [
        ("items", f"/items/{item_id}", "n-item"),
        ("questions", f"/questions/{question['id']}", "n-question"),
    ]:
        row = deliver(seller_id, topic, resource, _id)
        assert notification_process(notification_id=row.pk, clock=clock) == "processed"

    with tenant_context(tenant):
        assert MLItem.objects.filter(pk=item_id).exists()
        assert MLQuestion.objects.get(pk=question["id"]).text == question["text"]


def test_a_second_delivery_of_the_same_task_does_nothing(store, clock):
    tenant, seller_id = store
    order = first(tenant, "/orders/search", {"seller": seller_id})
    row = deliver(seller_id, "orders_v2", f"/orders/{order['id']}", "n1")
    notification_process(notification_id=row.pk, clock=clock)

    assert notification_process(notification_id=row.pk, clock=clock) == "skipped"
    row.refresh_from_db()
    assert row.tries == 1


def test_an_unknown_ml_user_is_orphaned_not_retried(sandbox, clock):
    row = deliver(999_999_999, "orders_v2", "/orders/1", "n-orphan")

    assert notification_process(notification_id=row.pk, clock=clock) == "orphaned"
    row.refresh_from_db()
    assert row.status == "orphaned"
    assert row.next_attempt_at is None


def test_an_unexpected_resource_is_ignored(store, clock):
    _, seller_id = store
    row = deliver(seller_id, "orders_v2", "/orders/../../users/me", "n-odd")
    assert notification_process(notification_id=row.pk, clock=clock) == "ignored"


def test_failures_retry_with_growing_delays_then_dead_letter_then_replay(store, clock, sandbox):
    tenant, seller_id = store
    order = first(tenant, "/orders/search", {"seller": seller_id})
    row = deliver(seller_id, "orders_v2", f"/orders/{order['id']}", "n-fail")
    sandbox.faults(error_fraction=1.0)

    delays, floors = [], []
    for tries in range(1, MAX_TRIES + 1):
        before = timezone.now()
        outcome = notification_process(notification_id=row.pk, clock=clock)
        row.refresh_from_db()
        if outcome == "retry":
            assert row.status == "pending"
            # 5xx at first; once they opened the breaker, calls fail fast without reaching ML,
            # and the row waits at least until the breaker lets a probe through.
            assert row.last_error.startswith(("MLServerError", "MLCircuitOpen"))
            floor = RETRY_DELAYS[tries - 1]
            if row.last_error.startswith("MLCircuitOpen"):
                floor = max(floor, breaker_reopens_in(clock))
            delays.append((row.next_attempt_at - before).total_seconds())
            floors.append(floor)
            MLNotification.objects.filter(pk=row.pk).update(next_attempt_at=None)
    assert len(delays) == MAX_TRIES - 1
    for delay, floor in zip(delays, floors, strict=True):
        assert floor <= delay <= floor * 1.1 + 2, (delays, floors)
    assert delays[0] < 15 < 299 < min(delays[1:])  # 5xx, then the breaker's reopen time
    assert row.status == "dead"
    assert row.tries == MAX_TRIES
    assert row.last_error.startswith("MLCircuitOpen")

    sandbox.faults(error_fraction=0.0)
    clock.advance(300)  # the breaker lets a probe through
    assert ML_INBOX.replay(ids=[row.pk], statuses=["dead"]) == 1
    row.refresh_from_db()
    assert (row.status, row.tries) == ("pending", 0)
    assert notification_process(notification_id=row.pk, clock=clock) == "processed"


def test_a_retry_waits_as_long_as_mls_retry_after_says(store, clock, sandbox):
    tenant, seller_id = store
    order = first(tenant, "/orders/search", {"seller": seller_id})
    row = deliver(seller_id, "orders_v2", f"/orders/{order['id']}", "n-429")
    sandbox.faults(rate_limit_fraction=1.0, retry_after=120)

    before = timezone.now()
    assert notification_process(notification_id=row.pk, clock=clock) == "retry"

    row.refresh_from_db()
    assert row.last_error.startswith("MLRateLimited")
    waits = (row.next_attempt_at - before).total_seconds()
    assert 120 <= waits <= 120 * 1.1 + 2  # not the first of RETRY_DELAYS (10 s)


def test_an_account_needing_reconnection_parks_the_notification(store, clock, sandbox):
    tenant, seller_id = store

    with tenant_context(tenant):
        MLAccount.objects.update(status="needs_reconnection")
    row = deliver(seller_id, "orders_v2", "/orders/1", "n-parked")

    assert notification_process(notification_id=row.pk, clock=clock) == "dead"
    row.refresh_from_db()
    assert "MLReconnectRequired" in row.last_error


def test_reconcile_takes_up_abandoned_and_unsent_rows(store, settings):
    _, seller_id = store
    settings.ML_INBOX_STUCK_SECONDS = 60
    stuck = deliver(seller_id, "orders_v2", "/orders/1", "n-stuck")
    unsent = deliver(seller_id, "orders_v2", "/orders/2", "n-unsent")
    later = deliver(seller_id, "orders_v2", "/orders/3", "n-later")
    MLNotification.objects.filter(pk=stuck.pk).update(
        status="processing", processing_started_at=timezone.now() - timedelta(minutes=2)
    )
    MLNotification.objects.filter(pk=later.pk).update(
        next_attempt_at=timezone.now() + timedelta(minutes=5)
    )

    result = ML_INBOX.reconcile()

    assert result["unstuck"] == 1
    assert result["resent"] == 2
    assert MLNotification.objects.get(pk=stuck.pk).status == "pending"
    assert MLNotification.objects.get(pk=unsent.pk).enqueued_at is not None
    assert MLNotification.objects.get(pk=later.pk).enqueued_at is None


def test_older_data_never_overwrites_newer(store):
    tenant, seller_id = store
    order = first(tenant, "/orders/search", {"seller": seller_id})
    newer = {**order, "status": "paid", "date_last_updated": "2026-11-20T10:00:00.000Z"}
    older = {**order, "status": "confirmed", "date_last_updated": "2026-11-19T10:00:00.000Z"}

    with tenant_context(tenant):
        account = MLAccount.objects.get(ml_user_id=seller_id)
        orders_upsert([newer], account=account)
        orders_upsert([older], account=account)
        assert MLOrder.objects.get(pk=order["id"]).status == "paid"
        orders_upsert([older, newer], account=account)  # one batch, out of order
        assert MLOrder.objects.get(pk=order["id"]).status == "paid"


def test_the_notifications_dead_of_disconnection_are_the_stores_dead_of_an_unusable_account(
    tenant_a, tenant_b
):
    def row(key, *, tenant=tenant_a, status="dead", error):
        return ml_notification(
            dedup_key=f"ml:{key}",
            resource="/orders/1",
            ml_user_id=1,
            payload={},
            tenant=tenant,
            status=status,
            last_error=error,
        )

    MLNotification.objects.bulk_create(
        [
            row("refused", error="MLReconnectRequired: invalid_grant"),
            row("none", error="MLNotConnected: this store has not connected"),
            row("scopes", error="MLAccessRevoked: 403 forbidden: Invalid scopes"),
            row("forbidden", error="MLForbidden: 403 forbidden: not the owner"),
            row("waiting", status="pending", error="MLReconnectRequired: invalid_grant"),
            row("elsewhere", tenant=tenant_b, error="MLReconnectRequired: invalid_grant"),
        ]
    )

    found = notifications_dead_of_disconnection(tenant=tenant_a)

    assert sorted(found.values_list("dedup_key", flat=True)) == [
        "ml:none",
        "ml:refused",
        "ml:scopes",
    ]
