"""The one ledger both inboxes use: the same retry convention, and publishing after commit."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from datetime import timedelta
from typing import Any

import pytest
from django.db import transaction
from django.test import Client
from django.utils import timezone

from billing.events import STRIPE_INBOX
from billing.models import StripeEvent
from core.errors import DomainError
from core.tasks import queue_depths
from inbox.ledger import MAX_TRIES, RETRY, RETRY_DELAYS, Ledger, Outcome, retry_later
from inbox.models import InboxStatus, WebhookInbox
from integrations.mercadolivre.inbox import ML_INBOX
from integrations.models import MLNotification
from tests.factories.inbox import ml_notification, stripe_event
from tests.support.processes import free_port
from tests.support.waiting import hold_for, wait_until

STRIPE_SECRET = "whsec_ledger_tests"


def stored_row(ledger: Ledger[Any], key: str) -> WebhookInbox:
    row: WebhookInbox
    if ledger is STRIPE_INBOX:
        row = stripe_event(event_id=f"evt_{key}", tenant=None)
    else:
        row = ml_notification(
            dedup_key=f"ml:{key}", resource="/orders/1", ml_user_id=1, payload={}, tenant=None
        )
    row.save()
    return row


LEDGERS = pytest.mark.parametrize("ledger", [STRIPE_INBOX, ML_INBOX], ids=["stripe", "ml"])


@LEDGERS
@pytest.mark.django_db
def test_a_failed_try_waits_as_pending_with_the_same_delays_then_dies(ledger):
    row = stored_row(ledger, "retry")

    delays = []
    outcomes = []
    for _ in range(MAX_TRIES):
        before = timezone.now()
        outcomes.append(ledger.process(row.pk, handle=lambda _row: retry_later("Timeout: later")))
        row.refresh_from_db()
        if row.status == InboxStatus.PENDING:
            delays.append(round((row.next_attempt_at - before).total_seconds()))

    assert outcomes == [RETRY] * (MAX_TRIES - 1) + [InboxStatus.DEAD]
    assert delays == list(RETRY_DELAYS)
    assert (row.status, row.tries, row.last_error) == ("dead", MAX_TRIES, "Timeout: later")


@LEDGERS
@pytest.mark.django_db
def test_a_retry_is_no_sooner_than_the_errors_retry_after(ledger):
    told, raised = stored_row(ledger, "told"), stored_row(ledger, "raised")

    def fail(_row: WebhookInbox) -> Outcome:
        raise DomainError("held back", retry_after=400)

    before = timezone.now()
    assert (
        ledger.process(told.pk, handle=lambda _row: retry_later("Busy", retry_after=400)) == RETRY
    )
    assert ledger.process(raised.pk, handle=fail) == RETRY

    for row in (told, raised):
        row.refresh_from_db()
        assert row.status == InboxStatus.PENDING
        waits = (row.next_attempt_at - before).total_seconds()
        assert 400 <= waits <= 400 * 1.1 + 2  # not the first of RETRY_DELAYS
    assert raised.last_error == "DomainError: held back"


@pytest.mark.django_db
def test_stripe_unreachable_leaves_the_event_pending_not_failed(settings):
    settings.STRIPE_API_BASE = f"http://127.0.0.1:{free_port()}"
    settings.STRIPE_MAX_NETWORK_RETRIES = 0
    row = stripe_event(event_id="evt_unreachable", tenant=None)
    row.type = "charge.dispute.created"
    row.payload = {"data": {"object": {"id": "dp_1", "object": "dispute", "charge": "ch_1"}}}
    row.save()

    assert STRIPE_INBOX.process(row.pk) == RETRY

    row.refresh_from_db()
    assert row.status == InboxStatus.PENDING
    assert row.next_attempt_at > timezone.now()
    assert row.last_error.startswith("StripeUnavailable")


@LEDGERS
@pytest.mark.django_db
def test_an_abandoned_row_goes_back_to_pending_and_is_sent_again(ledger, settings):
    setattr(settings, ledger.stuck_setting, 60)
    row = stored_row(ledger, "stuck")
    ledger.model.objects.filter(pk=row.pk).update(
        status=InboxStatus.PROCESSING, processing_started_at=timezone.now() - timedelta(minutes=2)
    )

    assert ledger.reconcile() == {"unstuck": 1, "resent": 1, "due": 1}
    row.refresh_from_db()
    assert row.status == InboxStatus.PENDING
    assert row.enqueued_at is not None


@pytest.mark.django_db
def test_a_stripe_event_parked_as_failed_by_an_earlier_release_is_still_taken():
    row = stored_row(STRIPE_INBOX, "legacy")
    StripeEvent.objects.filter(pk=row.pk).update(status="failed", tries=1)

    assert STRIPE_INBOX.reconcile()["resent"] == 1
    assert STRIPE_INBOX.claim(row.pk) is not None


def stripe_delivery(event_id: str) -> tuple[bytes, dict[str, str]]:
    payload = json.dumps(
        {
            "id": event_id,
            "object": "event",
            "created": int(time.time()),
            "livemode": False,
            "type": "invoice.paid",
            "data": {"object": {"id": "in_1", "object": "invoice", "customer": "cus_1"}},
        }
    ).encode()
    stamp = int(time.time())
    digest = hmac.new(STRIPE_SECRET.encode(), f"{stamp}.".encode() + payload, hashlib.sha256)
    return payload, {"Stripe-Signature": f"t={stamp},v1={digest.hexdigest()}"}


def ml_delivery(key: str, application_id: str) -> tuple[bytes, dict[str, str]]:
    body = {
        "_id": key,
        "resource": "/orders/2000001",
        "user_id": 123,
        "topic": "orders_v2",
        "application_id": application_id,
        "attempts": 1,
        "sent": "2026-11-27T10:00:00.000Z",
    }
    return json.dumps(body).encode(), {}


@pytest.mark.parametrize(
    ("url", "queue", "model"),
    [
        ("/api/webhook/stripe", "high", StripeEvent),
        ("/api/webhook/mercado-livre", "critical", MLNotification),
    ],
    ids=["stripe", "ml"],
)
def test_a_delivery_is_published_only_once_its_row_is_committed(
    url, queue, model, committed_db, settings
):
    settings.STRIPE_WEBHOOK_SECRET = [STRIPE_SECRET]
    settings.STRIPE_SECRET_KEY = "sk_test_ledger"
    settings.ML_WEBHOOK_ALLOWED_IPS = []
    body, headers = (
        stripe_delivery("evt_commit")
        if model is StripeEvent
        else ml_delivery("commit", str(settings.ML_CLIENT_ID))
    )

    def depth() -> int:
        depths = queue_depths()
        assert depths is not None
        return depths[queue]

    before = depth()
    with transaction.atomic():
        response = Client(HTTP_HOST="localhost").post(
            url, data=body, content_type="application/json", headers=headers
        )
        assert response.status_code == 200

        def nothing_published() -> None:
            assert depth() == before

        hold_for(0.5, nothing_published, every=0.1)

    wait_until(lambda: depth() > before, timeout=10, message="nothing published after commit")
    wait_until(
        lambda: model.objects.filter(enqueued_at__isnull=False).exists(),
        timeout=10,
        message="the published row was never stamped enqueued",
    )
