"""Checkout Sessions and the hosted pages: checkout, invoice and its PDF."""

import re

import pytest
import stripe

from .flows import DAY, event_types, invoice_intent, paying_customer, plan, subscribe

SUCCESS_URL = "http://store.example.com/billing/done?session={CHECKOUT_SESSION_ID}"
CANCEL_URL = "http://store.example.com/billing/cancelled"


def checkout(client, price, customer=None, **extra):
    params = {
        "mode": "subscription",
        "line_items": [{"price": price.id, "quantity": 1}],
        "success_url": SUCCESS_URL,
        "cancel_url": CANCEL_URL,
        "client_reference_id": "tenant-a",
        "metadata": {"tenant_id": "1"},
        "subscription_data": {"metadata": {"tenant_id": "1"}},
        "allowed_payment_method_types": ["card", "boleto"],
        "locale": "pt-BR",
        **extra,
    }
    params = {key: value for key, value in params.items() if value is not None}
    if customer is not None:
        params["customer"] = customer.id
    return client.v1.checkout.sessions.create(params=params)


def test_hosted_checkout_starts_an_active_paid_subscription(client, http, emulator):
    pro = plan(client, "Pro", 4990)
    customer = client.v1.customers.create(params={"email": "owner@a.example.com"})
    session = checkout(client, pro.price, customer)

    page = http.get(session.url)
    paid = http.post(session.url, data={"payment_method": "pm_card_visa"})

    assert session.url == f"{emulator.url}/checkout/{session.id}"
    assert page.status_code == 200
    assert "R$49.90" in page.text
    assert 'id="pay-card"' in page.text
    assert f'href="{CANCEL_URL}"' in page.text
    assert paid.status_code == 303
    assert paid.headers["location"] == SUCCESS_URL.replace("{CHECKOUT_SESSION_ID}", session.id)
    done = client.v1.checkout.sessions.retrieve(session.id, params={"expand": ["subscription"]})
    assert (done.status, done.payment_status) == ("complete", "paid")
    assert done.subscription.status == "active"
    assert done.subscription.metadata.to_dict() == {"tenant_id": "1"}
    invoice = client.v1.invoices.retrieve(done.subscription.latest_invoice)
    assert (invoice.status, invoice.amount_paid) == ("paid", 4990)
    types = event_types(client)
    for expected in (
        "customer.subscription.created",
        "invoice.paid",
        "checkout.session.completed",
    ):
        assert expected in types
    assert types.index("invoice.paid") < types.index("checkout.session.completed")


def test_declined_card_keeps_the_session_open_with_the_error_shown(client, http):
    pro = plan(client, "Pro", 4990)
    session = checkout(client, pro.price, customer_email="new@a.example.com")

    declined = http.post(session.url, data={"payment_method": "pm_card_chargeDeclined"})

    assert declined.status_code == 402
    assert "Your card was declined." in declined.text
    assert client.v1.checkout.sessions.retrieve(session.id).status == "open"
    assert client.v1.subscriptions.list(params={"status": "all"}).data == []
    paid = http.post(session.url, data={"payment_method": "pm_card_visa"})
    assert paid.status_code == 303
    done = client.v1.checkout.sessions.retrieve(session.id)
    assert client.v1.customers.retrieve(done.customer).email == "new@a.example.com"


def test_boleto_checkout_waits_for_the_voucher_to_be_paid(client, admin):
    pro = plan(client, "Pro", 4990)
    session = checkout(client, pro.price, client.v1.customers.create())

    done = admin.post(f"checkout/{session.id}/complete", {"payment_method": "boleto"})
    sub = client.v1.subscriptions.retrieve(done["subscription"])
    intent = invoice_intent(client, sub.latest_invoice)
    admin.post("pay_boleto", {"payment_intent": intent, "paid": True})

    assert done["payment_status"] == "unpaid"
    assert sub.status == "incomplete"
    assert client.v1.subscriptions.retrieve(sub.id).status == "active"
    assert client.v1.checkout.sessions.retrieve(session.id).payment_status == "paid"
    assert "checkout.session.async_payment_succeeded" in event_types(client)


def test_admin_completion_with_a_declined_card_is_a_card_error(client, admin):
    pro = plan(client, "Pro", 4990)
    session = checkout(client, pro.price, client.v1.customers.create())

    refused = admin.post(
        f"checkout/{session.id}/complete", {"payment_method": "card_declined"}, status=402
    )

    assert refused["error"]["code"] == "card_declined"


def test_session_expires_on_request_and_with_time(client, admin, http):
    pro = plan(client, "Pro", 4990)
    first = checkout(client, pro.price)
    second = checkout(client, pro.price)

    expired = client.v1.checkout.sessions.expire(first.id)
    admin.advance(DAY + 1)

    assert expired.status == "expired"
    assert expired.url is None
    assert client.v1.checkout.sessions.retrieve(second.id).status == "expired"
    assert http.post(first.url, data={"payment_method": "pm_card_visa"}).status_code == 400
    listed = client.v1.checkout.sessions.list(params={"status": "expired"})
    assert {s.id for s in listed.data} == {first.id, second.id}


def test_trial_without_card_starts_trialing(client, http):
    pro = plan(client, "Pro", 4990)
    session = checkout(
        client,
        pro.price,
        client.v1.customers.create(),
        payment_method_collection="if_required",
        subscription_data={"trial_period_days": 14},
    )

    page = http.get(session.url)
    started = http.post(session.url, data={"payment_method": "none"})

    assert "14-day free trial" in page.text
    assert started.status_code == 303
    sub = client.v1.subscriptions.retrieve(
        client.v1.checkout.sessions.retrieve(session.id).subscription
    )
    assert sub.status == "trialing"
    assert client.v1.checkout.sessions.retrieve(session.id).payment_status == "no_payment_required"


def test_hosted_invoice_page_pays_an_open_invoice_and_serves_a_pdf(client, http):
    pro = plan(client, "Pro", 4990)
    customer = paying_customer(client, "pm_card_chargeDeclined")
    sub = subscribe(client, customer, pro.price)
    invoice = client.v1.invoices.retrieve(sub.latest_invoice)

    page = http.get(invoice.hosted_invoice_url)
    paid = http.post(f"/invoice/{invoice.id}/pay", data={"payment_method": "pm_card_visa"})
    pdf = http.get(invoice.invoice_pdf)

    assert (sub.status, invoice.status) == ("incomplete", "open")
    assert 'id="pay-card"' in page.text
    assert paid.status_code == 303
    assert client.v1.invoices.retrieve(invoice.id).status == "paid"
    assert client.v1.subscriptions.retrieve(sub.id).status == "active"
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF-1.4")
    assert pdf.content.rstrip().endswith(b"%%EOF")
    assert re.search(rb"\(Total: R\$49\.90\)", pdf.content)


def test_checkout_refuses_a_one_time_price(client):
    product = client.v1.products.create(params={"name": "Setup"})
    price = client.v1.prices.create(
        params={"product": product.id, "unit_amount": 1000, "currency": "brl"}
    )

    with pytest.raises(stripe.InvalidRequestError, match="not a recurring price"):
        checkout(client, price)


def test_payment_method_types_is_no_longer_a_parameter(client):
    pro = plan(client, "Pro", 4990)

    with pytest.raises(stripe.InvalidRequestError) as refused:
        checkout(
            client, pro.price, allowed_payment_method_types=None, payment_method_types=["card"]
        )

    assert refused.value.param == "payment_method_types"


def test_allowed_and_excluded_types_filter_the_dynamic_methods(client):
    pro = plan(client, "Pro", 4990)

    card_only = checkout(client, pro.price, allowed_payment_method_types=["card", "pix"])
    no_card = checkout(
        client, pro.price, allowed_payment_method_types=None, excluded_payment_method_types=["card"]
    )

    assert card_only.payment_method_types == ["card"]
    assert card_only.allowed_payment_method_types == ["card", "pix"]
    assert no_card.payment_method_types == ["boleto"]
    assert no_card.allowed_payment_method_types is None
