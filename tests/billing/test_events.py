"""Processing the inbox: orphans, failures that retry then die, replay, adoption, offboarding."""

from contextlib import contextmanager
from datetime import timedelta

import pytest
from django.utils import timezone

from billing.events import STRIPE_INBOX, event_process
from billing.models import BillingCustomer, EventStatus, Plan, StripeEvent
from inbox.ledger import MAX_TRIES, RETRY
from peepers.celery import app
from tenants.models import TenantStatus
from tenants.services import tenant_set_status
from tests.billing.flows import mirror_of, subscribe


@contextmanager
def celery_eager():
    app.conf.task_always_eager = True
    try:
        yield
    finally:
        app.conf.task_always_eager = False


def test_an_event_for_a_customer_of_no_store_is_orphaned_not_retried(stripe, db):
    stranger = stripe.sdk.v1.customers.create(params={"email": "someone@else.test"})
    stripe.sdk.v1.customers.update(stranger.id, params={"name": "Someone"})

    outcomes = stripe.deliver([e for e in stripe.new_events() if e["type"] == "customer.updated"])

    assert outcomes == [EventStatus.IGNORED]  # customer.updated is not a handled type
    sub_event = {
        "id": "evt_orphan",
        "object": "event",
        "type": "customer.subscription.updated",
        "created": 1,
        "data": {"object": {"id": "sub_x", "object": "subscription", "customer": stranger.id}},
    }
    assert stripe.deliver([sub_event]) == [EventStatus.ORPHANED]
    row = StripeEvent.objects.get(event_id="evt_orphan")
    assert (row.status, row.next_attempt_at) == ("orphaned", None)
    assert "maps to no store" in row.last_error


def test_stripe_failing_during_processing_retries_then_dies_then_replays(stripe, tenant_a):
    subscribe(stripe, tenant_a)
    event = next(e for e in stripe.events() if e["type"] == "customer.subscription.created")
    StripeEvent.objects.all().delete()
    stripe.admin("faults", {"outage": True})

    outcomes = stripe.deliver([event])
    row = StripeEvent.objects.get()
    assert outcomes == [RETRY]
    assert row.status == EventStatus.PENDING
    assert row.next_attempt_at > timezone.now()
    assert "Stripe is not answering" in row.last_error

    for _ in range(MAX_TRIES - 1):
        event_process(event_pk=row.pk)
    row.refresh_from_db()
    assert (row.status, row.tries) == ("dead", MAX_TRIES)

    stripe.admin("faults", {"outage": False})
    assert STRIPE_INBOX.replay(ids=[row.pk]) == 1
    assert event_process(event_pk=row.pk) == EventStatus.PROCESSED
    row.refresh_from_db()
    assert (row.status, row.last_error, row.tenant_id) == ("processed", "", tenant_a.pk)


def test_the_reconciler_resends_what_the_queue_lost(stripe, tenant_a):
    subscribe(stripe, tenant_a)
    StripeEvent.objects.update(status=EventStatus.PENDING)
    StripeEvent.objects.update(received_at=timezone.now() - timedelta(minutes=5))

    assert STRIPE_INBOX.reconcile()["resent"] == StripeEvent.objects.count()
    assert STRIPE_INBOX.reconcile(now=timezone.now() - timedelta(minutes=10))["resent"] == 0


def test_a_customer_stripe_made_but_we_lost_is_adopted_by_its_metadata(stripe, tenant_a):
    subscribe(stripe, tenant_a)
    customer = BillingCustomer.objects.get(tenant=tenant_a)
    customer.delete()
    mirror_of(tenant_a).delete()
    events = stripe.events()
    StripeEvent.objects.all().delete()

    stripe.deliver([e for e in events if e["type"] == "customer.subscription.created"])

    adopted = BillingCustomer.objects.get(tenant=tenant_a)
    assert adopted.stripe_customer_id == customer.stripe_customer_id
    assert mirror_of(tenant_a).status == "trialing"


def test_closing_a_store_cancels_its_subscription(
    stripe, tenant_a, django_capture_on_commit_callbacks
):
    Plan.objects.filter(code="starter").update(trial_days=0)
    mirror = subscribe(stripe, tenant_a)

    with celery_eager(), django_capture_on_commit_callbacks(execute=True):
        tenant_set_status(tenant=tenant_a, status=TenantStatus.CLOSED)

    sub = stripe.sdk.v1.subscriptions.retrieve(mirror.stripe_subscription_id)
    assert sub.status == "canceled"
    assert sub.cancellation_details.comment == "store closed"


def test_a_store_deleted_with_a_live_subscription_is_never_billed_again(
    stripe, tenant_a, django_capture_on_commit_callbacks
):
    mirror = subscribe(stripe, tenant_a)
    customer_id = mirror.stripe_customer_id

    with celery_eager(), django_capture_on_commit_callbacks(execute=True):
        tenant_a.delete()

    sub = stripe.sdk.v1.subscriptions.retrieve(mirror.stripe_subscription_id)
    assert sub.status == "canceled"
    customer = BillingCustomer.objects.get(stripe_customer_id=customer_id)
    assert customer.tenant is None  # kept, so late events still find it
    late = stripe.new_events()
    assert set(stripe.deliver(late)) <= {EventStatus.ORPHANED, EventStatus.IGNORED}
    assert StripeEvent.objects.filter(status="orphaned").exists()
    assert not StripeEvent.objects.filter(status__in=["failed", "dead"]).exists()


def test_stripe_events_admin_lists_filters_and_replays(stripe, tenant_a, staff_client):
    subscribe(stripe, tenant_a)
    StripeEvent.objects.update(status=EventStatus.DEAD, last_error="boom")
    client = staff_client

    listing = client.get("/admin/billing/stripeevent/?status=dead")
    ids = list(StripeEvent.objects.values_list("pk", flat=True))
    replay = client.post(
        "/admin/billing/stripeevent/",
        {"action": "replay", "_selected_action": ids},
        follow=True,
    )

    assert listing.status_code == 200
    assert "boom" in listing.text
    assert replay.status_code == 200
    assert not StripeEvent.objects.filter(status="dead").exists()
    assert client.get("/admin/billing/subscriptionmirror/?status=trialing").status_code == 200
    assert client.get("/admin/billing/invoicerecord/").status_code == 200


@pytest.mark.parametrize("path", ["/billing/", "/billing/change/pro"])
def test_billing_pages_need_a_login(tenant_a, path):
    from tests.support.clients import store_client

    response = store_client(tenant_a).get(path)

    assert response.status_code == 302
    assert "/login/" in response["Location"]


def test_an_event_naming_a_customer_stripe_does_not_know_is_orphaned(stripe, db):
    event = {
        "id": "evt_ghost",
        "object": "event",
        "type": "invoice.paid",
        "created": 1,
        "data": {"object": {"id": "in_ghost", "object": "invoice", "customer": "cus_ghost"}},
    }

    assert stripe.deliver([event]) == [EventStatus.ORPHANED]
