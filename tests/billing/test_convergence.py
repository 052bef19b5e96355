"""Any order of Stripe's deliveries, with duplicates, ends in Stripe's state (hypothesis).

One subscription's history is made once in the emulator: a trial with its reminder, the first
paid period, a declined renewal and a retry, the payment, an upgrade with proration, and a
cancellation at the period's end. Each example delivers a permutation of its events, with some
delivered twice, into an empty mirror; the mirror must equal what Stripe says now and the store
must get the entitlement that state implies.
"""

from datetime import UTC, datetime

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from billing.checkout import plan_change_apply, plan_change_preview
from billing.entitlements import Access, entitlements_for
from billing.events import HANDLERS
from billing.models import Plan, StripeEvent, SubscriptionMirror
from billing.stripe_api import moment
from billing.sync import entitlement_forget
from tests.billing.flows import mirror_of, subscribe
from tests.billing.support import DAY


class Rollback(Exception):
    pass


@pytest.fixture
def history(stripe, tenant_a):
    """The events of one subscription's life, and the emulator's state at its end."""
    subscribe(stripe, tenant_a)
    stripe.advance(14 * DAY + 60)  # trial reminder, then the first paid period
    stripe.deliver_new()
    customer = mirror_of(tenant_a).stripe_customer_id
    stripe.use_card(customer, "pm_card_chargeDeclined")
    stripe.advance(int(mirror_of(tenant_a).current_period_end.timestamp()) - stripe.now() + 1)
    stripe.advance(3 * DAY)  # a failed retry
    stripe.deliver_new()
    stripe.use_card(customer, "pm_card_visa")
    stripe.sdk.v1.invoices.pay(mirror_of(tenant_a).latest_invoice_id)
    stripe.deliver_new()
    pro = Plan.objects.get(code="pro")
    preview = plan_change_preview(tenant=tenant_a, plan=pro, at=stripe.now())
    plan_change_apply(tenant=tenant_a, plan=pro, proration_date=preview.proration_date)
    stripe.sdk.v1.subscriptions.update(
        mirror_of(tenant_a).stripe_subscription_id, params={"cancel_at_period_end": True}
    )
    stripe.advance(2 * DAY)
    events = stripe.events()
    # The mirror is rebuilt from nothing in every example.
    SubscriptionMirror.objects.filter(tenant=tenant_a).delete()
    StripeEvent.objects.all().delete()
    return events


def test_the_history_covers_the_lifecycle(history):
    types = {event["type"] for event in history}
    assert {
        "checkout.session.completed",
        "customer.subscription.created",
        "customer.subscription.trial_will_end",
        "customer.subscription.updated",
        "invoice.payment_failed",
        "invoice.paid",
        "invoice.finalized",
        "payment_method.attached",
    } <= types
    assert len(history) >= 20


@hypothesis_settings(
    max_examples=15,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_any_delivery_order_with_duplicates_converges_on_stripes_state(
    stripe, tenant_a, history, data
):
    repeats = data.draw(st.lists(st.sampled_from(history), max_size=len(history) // 2))
    order = data.draw(st.permutations(history + repeats))
    truth = stripe.sdk.v1.subscriptions.list(
        params={"customer": stripe.sdk.v1.customers.list().data[0].id, "status": "all"}
    ).data
    sub = max(truth, key=lambda s: s.created)
    stripe_now = datetime.fromtimestamp(stripe.now(), tz=UTC)

    try:
        with transaction.atomic():
            entitlement_forget(tenant_a.pk)
            outcomes = stripe.deliver(order)
            mirror = mirror_of(tenant_a)
            item = sub["items"]["data"][0]
            assert mirror.stripe_subscription_id == sub.id
            assert mirror.status == sub.status == "active"
            assert mirror.stripe_price_id == item["price"]["id"]
            assert mirror.plan.code == "pro"
            assert mirror.cancel_at_period_end is sub.cancel_at_period_end is True
            assert mirror.current_period_end == moment(item["current_period_end"])
            assert mirror.trial_end == moment(sub.trial_end)
            assert mirror.latest_invoice_id == sub.latest_invoice
            assert mirror.latest_invoice_status == "paid"
            assert mirror.payment_failed_since is None
            entitlement = entitlements_for(tenant=tenant_a, now=stripe_now)
            assert (entitlement.access, entitlement.until) == (
                Access.FULL,
                mirror.current_period_end,
            )
            # Each event was processed once; its repeats were absorbed by the inbox.
            assert StripeEvent.objects.count() == len(history)
            assert len(outcomes) - outcomes.count("skipped") == len(history)
            assert set(outcomes) <= {"processed", "ignored", "skipped"}
            assert not StripeEvent.objects.filter(
                type__in=list(HANDLERS), status__in=["ignored", "failed", "dead", "orphaned"]
            ).exists()
            raise Rollback
    except Rollback:
        pass
