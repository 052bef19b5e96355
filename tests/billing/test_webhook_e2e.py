"""The whole Stripe path with real processes: emulator → signed webhooks → gunicorn → inbox →
Celery worker → mirror; deliveries duplicated and shuffled by the emulator."""

import pytest

from billing.checkout import checkout_start
from billing.models import CheckoutAttempt, EventStatus, Plan, StripeEvent, SubscriptionMirror
from tenants.models import Tenant
from tests.billing.flows import STORE_URL
from tests.billing.support import DAY, SECRET_KEY, WEBHOOK_SECRET
from tests.support.processes import celery_worker, free_port, web_server
from tests.support.waiting import wait_until

pytestmark = pytest.mark.usefixtures("committed_db")


def settled() -> bool:
    return not StripeEvent.objects.filter(
        status__in=[EventStatus.PENDING, EventStatus.PROCESSING, EventStatus.FAILED]
    ).exists()


def status_of(tenant: Tenant) -> str | None:
    row = SubscriptionMirror.objects.filter(tenant=tenant).first()
    return row.status if row else None


def test_a_subscription_reaches_the_mirror_through_real_webhooks(stripe):
    tenant = Tenant.objects.get(schema_name="tenant-a")
    port = free_port()
    before = {e["id"] for e in stripe.events()}  # the catalogue's, sent to no endpoint
    env = {
        "STRIPE_API_BASE": stripe.url,
        "STRIPE_SECRET_KEY": SECRET_KEY,
        "STRIPE_WEBHOOK_SECRET": f"whsec_rotated_out,{WEBHOOK_SECRET}",
    }
    stripe.admin(
        "webhooks",
        {
            "url": f"http://localhost:{port}/api/webhook/stripe",
            "secret": WEBHOOK_SECRET,
            "duplicate": True,
            "out_of_order": True,
        },
    )
    with web_server(port, **env), celery_worker(**env):
        started = checkout_start(
            tenant=tenant,
            plan=Plan.objects.get(code="pro"),
            started_by="owner",
            base_url=STORE_URL,
        )
        session = CheckoutAttempt.objects.get(url=started.url).stripe_session_id
        stripe.admin(f"checkout/{session}/complete", {"payment_method": "card"})
        stripe.admin("webhooks/flush")
        assert wait_until(lambda: status_of(tenant) == "trialing" and settled(), timeout=60)

        stripe.advance(14 * DAY + 60)
        stripe.admin("webhooks/flush")
        assert wait_until(lambda: status_of(tenant) == "active" and settled(), timeout=60)

    events = StripeEvent.objects.all()
    emitted = {e["id"] for e in stripe.events()} - before
    assert set(events.values_list("event_id", flat=True)) == emitted  # each stored once
    assert any(e.deliveries > 1 for e in events)  # the duplicates arrived and were absorbed
    assert not events.filter(status__in=["failed", "dead", "orphaned"]).exists()
    tenant.refresh_from_db()
    assert tenant.plan_code == "pro"
