"""Refunds from admin, disputes, dunning e-mails once per attempt, and tax to the centavo."""

import uuid
from decimal import Decimal

import pytest
from django.core import mail

from billing.errors import RefundNotAllowed
from billing.models import (
    BillingNotice,
    InvoiceRecord,
    NoticeKind,
    Plan,
    Refund,
    RefundReason,
    TaxRate,
)
from billing.refunds import refund_create
from billing.tax import RateSpec, tax_breakdown
from core.money import brl
from tests.billing.flows import mirror_of, subscribe
from tests.billing.support import DAY


@pytest.fixture
def paid_invoice(stripe, tenant_a) -> InvoiceRecord:
    Plan.objects.filter(code="starter").update(trial_days=0)
    mirror = subscribe(stripe, tenant_a)
    invoice = InvoiceRecord.objects.get(stripe_invoice_id=mirror.latest_invoice_id)
    assert (invoice.status, invoice.amount_paid) == ("paid", 4900)
    return invoice


def refund(invoice, amount, request_id=None):
    return refund_create(
        invoice=invoice,
        amount_cents=amount,
        reason=RefundReason.REQUESTED_BY_CUSTOMER,
        note="customer asked",
        requested_by="staff@peepers.test",
        request_id=request_id or uuid.uuid4(),
    )


def test_a_partial_refund_is_made_and_recorded(stripe, paid_invoice):
    made = refund(paid_invoice, 1000)

    paid_invoice.refresh_from_db()
    assert (made.status, made.amount_cents, made.requested_by) == (
        "succeeded",
        1000,
        "staff@peepers.test",
    )
    assert made.stripe_refund_id.startswith("re_")
    assert paid_invoice.amount_refunded == 1000
    assert paid_invoice.refundable_cents == 3900


def test_the_same_refund_request_twice_refunds_once(stripe, paid_invoice):
    request_id = uuid.uuid4()

    first = refund(paid_invoice, 1000, request_id)
    second = refund(paid_invoice, 1000, request_id)

    assert first.pk == second.pk
    assert Refund.objects.count() == 1
    assert len(stripe.sdk.v1.refunds.list().data) == 1


def test_more_than_what_is_left_cannot_be_refunded(stripe, paid_invoice):
    refund(paid_invoice, 4000)

    with pytest.raises(RefundNotAllowed, match="R\\$ 9,00"):
        refund(paid_invoice, 1000)


def test_a_full_refund_then_nothing_more(stripe, paid_invoice):
    refund(paid_invoice, 4900)
    paid_invoice.refresh_from_db()

    assert paid_invoice.refundable_cents == 0
    with pytest.raises(RefundNotAllowed):
        refund(paid_invoice, 1)


def test_a_boleto_payment_is_explained_as_not_refundable(stripe, tenant_a, settings):
    settings.STRIPE_CHECKOUT_PAYMENT_METHODS = ["card", "boleto"]
    Plan.objects.filter(code="starter").update(trial_days=0)
    mirror = subscribe(stripe, tenant_a, payment_method="boleto")
    waiting = InvoiceRecord.objects.get(stripe_invoice_id=mirror.latest_invoice_id)
    assert (waiting.status, waiting.charge_id) == ("open", "")
    stripe.admin("pay_boleto", {"payment_intent": waiting.payment_intent_id, "paid": True})
    stripe.deliver_new()
    record = InvoiceRecord.objects.get(stripe_invoice_id=waiting.stripe_invoice_id)
    assert (record.status, record.payment_intent_id) == ("paid", waiting.payment_intent_id)

    with pytest.raises(RefundNotAllowed, match="boleto"):
        refund(record, 1000)
    assert not stripe.sdk.v1.refunds.list().data


def test_staff_refund_from_admin(stripe, paid_invoice, staff_client):
    form = staff_client.get(f"/admin/billing/invoicerecord/{paid_invoice.pk}/refund/")
    request_id = form.context["form"]["request_id"].value()

    done = staff_client.post(
        f"/admin/billing/invoicerecord/{paid_invoice.pk}/refund/",
        {"request_id": request_id, "amount": "12.34", "reason": "duplicate", "note": "twice"},
        follow=True,
    )

    assert done.status_code == 200
    made = Refund.objects.get()
    assert (made.amount_cents, made.reason, made.note) == (1234, "duplicate", "twice")


def test_a_dispute_marks_the_store_and_alerts_staff(stripe, paid_invoice, tenant_a, settings):
    settings.ADMINS = [("Staff", "staff@peepers.test")]
    stripe.admin("dispute", {"charge": paid_invoice.charge_id})
    stripe.deliver_new()

    mirror = mirror_of(tenant_a)
    assert mirror.dispute_id.startswith("dp_")
    assert mirror.dispute_opened_at is not None
    alerts = [m for m in mail.outbox if "Dispute opened" in m.subject]
    assert len(alerts) == 1
    assert alerts[0].to == ["staff@peepers.test"]


def test_one_dunning_email_per_failed_attempt_never_twice(stripe, tenant_a):
    Plan.objects.filter(code="starter").update(trial_days=0)
    mirror = subscribe(stripe, tenant_a)
    stripe.use_card(mirror.stripe_customer_id, "pm_card_chargeDeclined")
    stripe.advance(int(mirror.current_period_end.timestamp()) - stripe.now() + 1)
    first = stripe.new_events()
    stripe.deliver(first + first)  # every event twice
    stripe.advance(3 * DAY)
    second = stripe.new_events()
    stripe.deliver(second + second + first)

    keys = list(
        BillingNotice.objects.filter(kind=NoticeKind.PAYMENT_FAILED).values_list("key", flat=True)
    )
    invoice = mirror_of(tenant_a).latest_invoice_id
    assert sorted(keys) == [f"payment_failed:{invoice}:1", f"payment_failed:{invoice}:2"]
    dunning = [m for m in mail.outbox if "Payment failed" in m.subject]
    assert len(dunning) == 2
    assert "/invoice/" in dunning[0].body  # the hosted invoice to pay


def test_a_late_delivery_tells_only_the_latest_attempt(stripe, tenant_a):
    Plan.objects.filter(code="starter").update(trial_days=0)
    mirror = subscribe(stripe, tenant_a)
    stripe.use_card(mirror.stripe_customer_id, "pm_card_chargeDeclined")
    stripe.advance(int(mirror.current_period_end.timestamp()) - stripe.now() + 1)
    stripe.advance(3 * DAY)

    stripe.deliver_new()  # both failures arrive after the second attempt

    invoice = mirror_of(tenant_a).latest_invoice_id
    keys = BillingNotice.objects.filter(kind=NoticeKind.PAYMENT_FAILED).values_list(
        "key", flat=True
    )
    assert list(keys) == [f"payment_failed:{invoice}:2"]


def test_a_payment_failure_already_paid_sends_nothing(stripe, tenant_a):
    Plan.objects.filter(code="starter").update(trial_days=0)
    mirror = subscribe(stripe, tenant_a)
    stripe.use_card(mirror.stripe_customer_id, "pm_card_chargeDeclined")
    stripe.advance(int(mirror.current_period_end.timestamp()) - stripe.now() + 1)
    late = stripe.new_events()
    stripe.use_card(mirror.stripe_customer_id, "pm_card_visa")
    renewal = stripe.sdk.v1.subscriptions.retrieve(mirror.stripe_subscription_id).latest_invoice
    stripe.sdk.v1.invoices.pay(renewal)

    stripe.deliver(late)  # the failure arrives after the invoice was paid

    assert not BillingNotice.objects.filter(kind=NoticeKind.PAYMENT_FAILED).exists()
    assert mirror_of(tenant_a).status == "active"


@pytest.mark.parametrize(
    ("amount", "rates", "tax", "total"),
    [
        # ISS 5% inside R$ 49,00: 4900 * 5 / 105 = 233.33 → 233
        (4900, [("ISS", "5", True)], 233, 4900),
        # 2% inside R$ 0,25: 0.49 → 0 (half-up only from .5)
        (25, [("ISS", "2", True)], 0, 25),
        # 1% inside R$ 0,51 is 0.5049... → 1
        (51, [("ISS", "1", True)], 1, 51),
        # exclusive 9.25% on R$ 149,00 = 1378.25 → 1378
        (14900, [("PIS/COFINS", "9.25", False)], 1378, 16278),
        # ISS 5% + PIS 0.65% + COFINS 3% inclusive, split on (100 + 8.65)
        # 1836.17 → 1836, 238.70 → 239, 1101.70 → 1102
        (39900, [("ISS", "5", True), ("PIS", "0.65", True), ("COFINS", "3", True)], 3177, 39900),
        # inclusive ISS, then 1% exclusive on the taxable base (4900 - 233 = 4667 → 46.67 → 47)
        (4900, [("ISS", "5", True), ("IOF", "1", False)], 280, 4947),
    ],
)
def test_tax_is_exact_to_the_centavo(amount, rates, tax, total):
    breakdown = tax_breakdown(
        amount=amount,
        rates=[RateSpec(name=n, percentage=Decimal(p), inclusive=i) for n, p, i in rates],
    )

    assert (breakdown.tax, breakdown.total) == (tax, total)


def test_the_app_and_stripe_agree_on_tax_to_the_centavo(stripe, tenant_a):
    iss = TaxRate.objects.create(name="ISS", percentage=Decimal("2.9"), inclusive=True)
    iof = TaxRate.objects.create(name="IOF", percentage=Decimal("0.38"), inclusive=False)
    business = Plan.objects.get(code="business")
    business.tax_rates.set([iss, iof])
    business.trial_days = 0
    business.save()
    from billing.catalog import stripe_catalog_sync
    from billing.checkout import plan_price_breakdown

    stripe_catalog_sync()
    mirror = subscribe(stripe, tenant_a, "business")
    invoice = stripe.sdk.v1.invoices.retrieve(mirror.latest_invoice_id)
    ours = plan_price_breakdown(business)

    tax = sum(t.amount for t in invoice.total_taxes)
    assert (tax, invoice.total, invoice.amount_paid) == (ours.tax, ours.total, ours.total)
    # ISS 39900 * 2.9 / 102.9 = 1124.49 → 1124 inside; IOF 0.38% of 38776 = 147.35 → 147 on top.
    assert (ours.tax, brl(ours.total)) == (1271, "R$ 400,47")
