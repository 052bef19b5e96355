"""A store's whole subscription life against the Stripe emulator over HTTP.

trial → active → payment failed → past_due → grace expiry → read-only → paid → active →
cancel at period end → canceled → blocked; an upgrade with proration; the e-mails on the way.
"""

from datetime import UTC, datetime

from django.core import mail

from billing.checkout import plan_change_apply, plan_change_preview
from billing.entitlements import Access, entitlements_for
from billing.models import (
    EventStatus,
    InvoiceRecord,
    NoticeKind,
    Plan,
    StripeEvent,
    SubscriptionMirror,
)
from tests.billing.flows import mirror_of, subscribe
from tests.billing.support import DAY


def at(stripe) -> datetime:
    return datetime.fromtimestamp(stripe.now(), tz=UTC)


def access(stripe, tenant) -> Access:
    tenant.refresh_from_db()
    return entitlements_for(tenant=tenant, now=at(stripe)).access


def test_a_store_goes_through_its_whole_subscription_life(stripe, tenant_a, settings):
    settings.BILLING_GRACE_DAYS = 4
    mirror = subscribe(stripe, tenant_a)
    assert (mirror.status, mirror.plan.code) == ("trialing", "starter")
    assert access(stripe, tenant_a) == Access.FULL

    # Three days before the trial ends: one reminder.
    stripe.advance(11 * DAY + 60)
    stripe.deliver_new()
    reminders = [m for m in mail.outbox if "trial" in m.subject.lower()]
    assert len(reminders) == 1
    assert reminders[0].to == [tenant_a.owner_email]

    stripe.advance(3 * DAY)
    stripe.deliver_new()
    mirror = mirror_of(tenant_a)
    assert mirror.status == "active"
    assert InvoiceRecord.objects.get(stripe_invoice_id=mirror.latest_invoice_id).status == "paid"

    # The card starts declining: the renewal fails, the store is past_due within its grace.
    stripe.use_card(mirror.stripe_customer_id, "pm_card_chargeDeclined")
    stripe.advance(int(mirror.current_period_end.timestamp()) - stripe.now() + 1)
    stripe.deliver_new()
    mirror = mirror_of(tenant_a)
    assert mirror.status == "past_due"
    assert mirror.latest_invoice_url
    assert access(stripe, tenant_a) == Access.FULL
    assert (
        entitlements_for(tenant=tenant_a, now=at(stripe)).invoice_url == mirror.latest_invoice_url
    )

    # Retries on days 3 and 5 fail too; after the 4-day grace the store is read-only.
    stripe.advance(3 * DAY)
    stripe.deliver_new()
    stripe.advance(2 * DAY)
    stripe.deliver_new()
    assert mirror_of(tenant_a).status == "past_due"
    assert access(stripe, tenant_a) == Access.READ_ONLY
    dunning = [m for m in mail.outbox if "payment failed" in m.subject.lower()]
    assert len(dunning) == 3  # one per failed attempt

    # The seller fixes the card and pays the open invoice: active again, full access.
    stripe.use_card(mirror.stripe_customer_id, "pm_card_visa")
    stripe.sdk.v1.invoices.pay(mirror.latest_invoice_id)
    stripe.deliver_new()
    mirror = mirror_of(tenant_a)
    assert (mirror.status, mirror.payment_failed_since) == ("active", None)
    assert access(stripe, tenant_a) == Access.FULL

    # Cancel at the period's end (the Portal's cancel): full access until then, then blocked.
    stripe.sdk.v1.subscriptions.update(
        mirror.stripe_subscription_id, params={"cancel_at_period_end": True}
    )
    stripe.deliver_new()
    mirror = mirror_of(tenant_a)
    assert (mirror.status, mirror.cancel_at_period_end) == ("active", True)
    assert entitlements_for(tenant=tenant_a, now=at(stripe)).until == mirror.current_period_end
    stripe.advance(int(mirror.current_period_end.timestamp()) - stripe.now() + 1)
    stripe.deliver_new()
    assert mirror_of(tenant_a).status == "canceled"
    assert access(stripe, tenant_a) == Access.BLOCKED

    # Every e-mail went out once, whatever Stripe sends again.
    sent = len(mail.outbox)
    stripe.deliver(stripe.events())
    assert len(mail.outbox) == sent


def test_an_upgrade_charges_the_previewed_proration(stripe, tenant_a):
    Plan.objects.filter(code="starter").update(trial_days=0)
    mirror = subscribe(stripe, tenant_a)
    assert mirror.status == "active"
    stripe.advance(10 * DAY)
    pro = Plan.objects.get(code="pro")

    preview = plan_change_preview(tenant=tenant_a, plan=pro, at=stripe.now())
    changed = plan_change_apply(tenant=tenant_a, plan=pro, proration_date=preview.proration_date)
    stripe.deliver_new()

    assert changed.plan == pro
    invoice = stripe.sdk.v1.invoices.retrieve(changed.latest_invoice_id)
    assert invoice.amount_due == preview.amount_due
    # Unused starter time credited, the rest of the period charged at pro's price.
    assert 0 < preview.amount_due < pro.monthly_price_cents - 4900
    assert invoice.status == "paid"
    tenant_a.refresh_from_db()
    assert tenant_a.plan_code == "pro"


def test_a_plan_change_retried_after_our_side_failed_changes_once(stripe, tenant_a):
    Plan.objects.filter(code="starter").update(trial_days=0)
    subscribe(stripe, tenant_a)
    pro = Plan.objects.get(code="pro")
    preview = plan_change_preview(tenant=tenant_a, plan=pro)
    plan_change_apply(tenant=tenant_a, plan=pro, proration_date=preview.proration_date)
    # Stripe applied it but our write was lost (a timeout): the mirror still says starter.
    SubscriptionMirror.objects.filter(tenant=tenant_a).update(plan=Plan.objects.get(code="starter"))
    keys = stripe.state()["idempotency_keys"]

    again = plan_change_apply(tenant=tenant_a, plan=pro, proration_date=preview.proration_date)

    assert again.plan == pro
    # The retry sent the first request's key: Stripe replayed it, no new key was stored (a
    # request without our key gets a fresh random one from the SDK, which would be stored).
    assert stripe.state()["idempotency_keys"] == keys
    customer = mirror_of(tenant_a).stripe_customer_id
    invoices = stripe.sdk.v1.invoices.list(params={"customer": customer})
    assert [i.billing_reason for i in invoices.data].count("subscription_update") == 1


def test_kinds_of_notice_are_recorded(stripe, tenant_a):
    subscribe(stripe, tenant_a)
    stripe.advance(11 * DAY + 60)
    stripe.deliver_new()
    assert tenant_a.billing_notices.filter(kind=NoticeKind.TRIAL_ENDING).count() == 1


def test_each_event_reads_the_invoice_it_is_about_once(stripe, tenant_a):
    mirror = subscribe(stripe, tenant_a)
    stripe.advance(14 * DAY + 60)
    stripe.deliver_new()
    mirror = mirror_of(tenant_a)
    stripe.use_card(mirror.stripe_customer_id, "pm_card_chargeDeclined")
    stripe.advance(int(mirror.current_period_end.timestamp()) - stripe.now() + 1)
    handled = StripeEvent.objects.filter(status=EventStatus.PROCESSED)
    events_before = handled.count()
    reads_before = dict(stripe.state()["requests"])

    stripe.deliver_new()  # the renewal fails: invoice, payment and subscription events

    invoice = mirror_of(tenant_a).latest_invoice_id
    path = f"GET /v1/invoices/{invoice}"
    reads = stripe.state()["requests"].get(path, 0) - reads_before.get(path, 0)
    events = handled.count() - events_before
    assert events >= 3
    # Each handled event syncs the mirror (its latest invoice) and, for invoice events, the
    # invoice record and the dunning e-mail: one read of the invoice serves them all.
    assert reads == events
