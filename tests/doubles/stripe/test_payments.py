"""Refunds (full, partial, too much, boleto), disputes and the event log."""

import pytest
import stripe

from .flows import invoice_intent, paying_customer, plan, subscribe


@pytest.fixture
def charge(client):
    pro = plan(client, "Pro", 4990)
    sub = subscribe(client, paying_customer(client), pro.price)
    intent = invoice_intent(client, sub.latest_invoice)
    return client.v1.charges.retrieve(client.v1.payment_intents.retrieve(intent).latest_charge)


def test_partial_then_full_refund(client, charge):
    partial = client.v1.refunds.create(
        params={"charge": charge.id, "amount": 1000, "reason": "requested_by_customer"}
    )
    rest = client.v1.refunds.create(params={"payment_intent": charge.payment_intent})

    assert (partial.amount, partial.status, partial.reason) == (
        1000,
        "succeeded",
        "requested_by_customer",
    )
    assert rest.amount == 3990
    refunded = client.v1.charges.retrieve(charge.id)
    assert (refunded.amount_refunded, refunded.refunded) == (4990, True)
    listed = client.v1.refunds.list(params={"charge": charge.id})
    assert [r.id for r in listed.data] == [rest.id, partial.id]
    assert client.v1.refunds.retrieve(partial.id).charge == charge.id


def test_refund_above_what_is_left_is_refused(client, charge):
    client.v1.refunds.create(params={"charge": charge.id, "amount": 1000})

    with pytest.raises(stripe.InvalidRequestError) as refused:
        client.v1.refunds.create(params={"charge": charge.id, "amount": 4000})

    assert refused.value.code == "amount_too_large"
    assert "greater than unrefunded amount" in str(refused.value.user_message)
    assert client.v1.charges.retrieve(charge.id).amount_refunded == 1000


def test_boleto_payments_cannot_be_refunded(client, admin):
    pro = plan(client, "Pro", 4990)
    sub = subscribe(client, paying_customer(client, "pm_boleto"), pro.price)
    intent = invoice_intent(client, sub.latest_invoice)
    admin.post("pay_boleto", {"payment_intent": intent, "paid": True})

    with pytest.raises(stripe.InvalidRequestError) as refused:
        client.v1.refunds.create(params={"payment_intent": intent})

    assert refused.value.code == "charge_not_refundable"
    assert "Boleto payments do not support refunds" in str(refused.value.user_message)


def test_dispute_is_opened_by_the_cardholder(client, admin, charge):
    opened = admin.post("dispute", {"charge": charge.id})

    dispute = client.v1.disputes.retrieve(opened["id"])
    assert (dispute.status, dispute.amount, dispute.charge) == ("needs_response", 4990, charge.id)
    assert client.v1.charges.retrieve(charge.id).disputed is True
    events = client.v1.events.list(params={"type": "charge.dispute.*"})
    assert [e.data.object.id for e in events.data] == [dispute.id]
    with pytest.raises(stripe.InvalidRequestError, match="disputed"):
        client.v1.refunds.create(params={"charge": charge.id})


def test_events_filter_by_type_and_time(client, admin, charge):
    start = admin.now()
    admin.advance(60)
    customer = client.v1.customers.create(params={"email": "later@a.example.com"})

    recent = client.v1.events.list(params={"created": {"gt": start}})
    succeeded = client.v1.events.list(params={"type": "invoice.paid"})

    assert [e.type for e in recent.data] == ["customer.created"]
    assert recent.data[0].data.object.id == customer.id
    assert client.v1.events.retrieve(recent.data[0].id).request.id is not None
    assert len(succeeded.data) == 1
    assert client.v1.charges.list(params={"customer": charge.customer}).data[0].id == charge.id
