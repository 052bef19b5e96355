"""Invoices read as the pinned API version serves them: how an invoice was paid comes from its
invoice payments, and a charge leads back to its invoice through its PaymentIntent."""

import uuid

import pytest

from billing.invoices import invoices_sync
from billing.models import InvoiceRecord, Plan, RefundReason, SubscriptionMirror
from billing.refunds import refund_create
from tests.billing.flows import subscribe


@pytest.fixture
def paid(stripe, tenant_a) -> InvoiceRecord:
    Plan.objects.filter(code="starter").update(trial_days=0)
    mirror = subscribe(stripe, tenant_a)
    return InvoiceRecord.objects.get(stripe_invoice_id=mirror.latest_invoice_id)


def _stripe_payment(stripe, invoice_id: str) -> tuple[str, str]:
    invoice = stripe.sdk.v1.invoices.retrieve(invoice_id, params={"expand": ["payments"]})
    intent = str(invoice.payments.data[0].payment.payment_intent)
    return intent, str(stripe.sdk.v1.payment_intents.retrieve(intent).latest_charge)


def _forget_payment(record: InvoiceRecord) -> None:
    """The row as the version-blind code stored it: no PaymentIntent, no charge."""
    InvoiceRecord.objects.filter(pk=record.pk).update(charge_id="", payment_intent_id="")


def test_a_paid_invoice_is_stored_with_its_payment_intent_and_charge(stripe, paid):
    intent, charge = _stripe_payment(stripe, paid.stripe_invoice_id)

    assert paid.status == "paid"
    assert (paid.payment_intent_id, paid.charge_id) == (intent, charge)
    assert paid.payment_method_type == "card"
    assert paid.stripe_subscription_id == SubscriptionMirror.objects.get().stripe_subscription_id


def test_a_refund_in_stripe_finds_its_invoice_through_the_payment_intent(stripe, paid):
    intent, charge = _stripe_payment(stripe, paid.stripe_invoice_id)
    _forget_payment(paid)

    stripe.sdk.v1.refunds.create(params={"payment_intent": intent, "amount": 900})
    outcomes = stripe.deliver([e for e in stripe.new_events() if e["type"] == "charge.refunded"])

    paid.refresh_from_db()
    assert outcomes == ["processed"]
    assert (paid.charge_id, paid.payment_intent_id, paid.amount_refunded) == (charge, intent, 900)


def test_a_row_stored_without_its_charge_can_still_be_refunded(stripe, paid):
    _forget_payment(paid)
    paid.refresh_from_db()

    made = refund_create(
        invoice=paid,
        amount_cents=1000,
        reason=RefundReason.REQUESTED_BY_CUSTOMER,
        note="customer asked",
        requested_by="staff@peepers.test",
        request_id=uuid.uuid4(),
    )

    paid.refresh_from_db()
    assert made.stripe_refund_id.startswith("re_")
    assert (paid.charge_id != "", paid.amount_refunded) == (True, 1000)


def test_the_reconciler_fills_in_the_payment_of_rows_stored_without_it(stripe, paid, tenant_a):
    intent, charge = _stripe_payment(stripe, paid.stripe_invoice_id)
    _forget_payment(paid)

    invoices_sync(customer=tenant_a.billing_customer)

    paid.refresh_from_db()
    assert (paid.payment_intent_id, paid.charge_id) == (intent, charge)


def test_checkout_narrows_the_payment_methods_with_allowed_types(stripe, tenant_a, settings):
    settings.STRIPE_CHECKOUT_PAYMENT_METHODS = ["card", "boleto"]
    mirror = subscribe(stripe, tenant_a)

    session = stripe.sdk.v1.checkout.sessions.list(params={"customer": mirror.stripe_customer_id})

    assert session.data[0].allowed_payment_method_types == ["card", "boleto"]
    assert session.data[0].payment_method_types == ["card", "boleto"]
