"""Time moves on request: trials, renewals, dunning, plan changes and cancellation."""

import stripe

from .flows import DAY, event_types, paying_customer, period_end, plan, subscribe


def use_card(client, customer, token):
    method = client.v1.payment_methods.attach(token, params={"customer": customer.id})
    client.v1.customers.update(
        customer.id, params={"invoice_settings": {"default_payment_method": method.id}}
    )


def test_trial_ends_into_a_paid_first_period(client, admin):
    pro = plan(client, "Pro", 4990)
    sub = subscribe(client, paying_customer(client), pro.price, trial_period_days=14)

    warned = admin.advance(11 * DAY + 60)
    ended = admin.advance(3 * DAY)

    assert sub.status == "trialing"
    assert [a["kind"] for a in warned["ran"]] == ["invoice_upcoming", "trial_will_end"]
    assert [e["type"] for e in warned["events"]] == [
        "invoice.upcoming",
        "customer.subscription.trial_will_end",
    ]
    assert "trial_end" in [a["kind"] for a in ended["ran"]]
    current = client.v1.subscriptions.retrieve(sub.id)
    invoice = client.v1.invoices.retrieve(current.latest_invoice)
    assert current.status == "active"
    assert (invoice.billing_reason, invoice.status, invoice.amount_paid) == (
        "subscription_cycle",
        "paid",
        4990,
    )
    assert current["items"].data[0].current_period_start == sub.trial_end


def test_failed_renewal_goes_past_due_then_unpaid_after_the_retries(client, admin):
    pro = plan(client, "Pro", 4990)
    customer = paying_customer(client)
    sub = subscribe(client, customer, pro.price)
    use_card(client, customer, "pm_card_chargeDeclined")

    admin.advance(period_end(sub) - admin.now() + 1)
    renewal = client.v1.invoices.retrieve(client.v1.subscriptions.retrieve(sub.id).latest_invoice)
    statuses = [client.v1.subscriptions.retrieve(sub.id).status]
    for days in (3, 2, 2):  # the retries fall 3, 5 and 7 days after the first failure
        admin.advance(days * DAY)
        statuses.append(client.v1.subscriptions.retrieve(sub.id).status)

    assert statuses == ["past_due", "past_due", "past_due", "unpaid"]
    final = client.v1.invoices.retrieve(renewal.id)
    assert (final.status, final.attempt_count, final.next_payment_attempt) == ("open", 4, None)
    assert event_types(client).count("invoice.payment_failed") == 4


def test_paying_a_past_due_invoice_makes_the_subscription_active(client, admin):
    pro = plan(client, "Pro", 4990)
    customer = paying_customer(client)
    sub = subscribe(client, customer, pro.price)
    use_card(client, customer, "pm_card_chargeDeclined")
    admin.advance(period_end(sub) - admin.now() + 1)
    renewal = client.v1.subscriptions.retrieve(sub.id).latest_invoice

    use_card(client, customer, "pm_card_visa")
    paid = client.v1.invoices.pay(renewal)

    assert paid.status == "paid"
    assert client.v1.subscriptions.retrieve(sub.id).status == "active"


def test_paying_with_a_declined_card_is_a_card_error(client):
    pro = plan(client, "Pro", 4990)
    sub = subscribe(client, paying_customer(client, "pm_card_chargeDeclined"), pro.price)

    try:
        client.v1.invoices.pay(sub.latest_invoice)
    except stripe.CardError as exc:
        error = exc
    assert error.code == "card_declined"
    assert client.v1.invoices.retrieve(sub.latest_invoice).attempt_count == 2


def test_upgrade_preview_equals_the_invoice_the_update_creates(client, admin):
    basic = plan(client, "Basic", 2990)
    pro = plan(client, "Pro", 4990)
    sub = subscribe(client, paying_customer(client), basic.price)
    admin.advance(10 * DAY + 3600)
    moment = admin.now()
    item = sub["items"].data[0].id

    preview = client.v1.invoices.create_preview(
        params={
            "subscription": sub.id,
            "subscription_details": {
                "items": [{"id": item, "price": pro.price.id}],
                "proration_behavior": "always_invoice",
                "proration_date": moment,
            },
        }
    )
    updated = client.v1.subscriptions.update(
        sub.id,
        params={
            "items": [{"id": item, "price": pro.price.id}],
            "proration_behavior": "always_invoice",
            "proration_date": moment,
        },
    )
    invoice = client.v1.invoices.retrieve(updated.latest_invoice)

    amounts = [line.amount for line in preview.lines.data]
    assert amounts == [line.amount for line in invoice.lines.data]
    assert amounts[0] < 0 < amounts[1]
    assert (preview.total, preview.amount_due) == (invoice.total, invoice.amount_paid)
    assert invoice.billing_reason == "subscription_update"
    assert invoice.status == "paid"


def test_prorations_created_now_are_billed_at_renewal_as_previewed(client, admin):
    basic = plan(client, "Basic", 2990)
    pro = plan(client, "Pro", 4990)
    sub = subscribe(client, paying_customer(client), basic.price)
    admin.advance(7 * DAY)
    item = sub["items"].data[0].id

    client.v1.subscriptions.update(sub.id, params={"items": [{"id": item, "price": pro.price.id}]})
    preview = client.v1.invoices.create_preview(params={"subscription": sub.id})
    admin.advance(period_end(sub) - admin.now() + 1)
    renewal = client.v1.invoices.retrieve(client.v1.subscriptions.retrieve(sub.id).latest_invoice)

    assert [line.amount for line in preview.lines.data] == [
        line.amount for line in renewal.lines.data
    ]
    assert renewal.amount_paid == preview.amount_due
    assert renewal.lines.data[-1].amount == 4990
    pending = client.v1.invoice_items.list(params={"pending": True})
    assert pending.data == []


def test_cancel_at_period_end_ends_the_subscription_at_the_period_end(client, admin):
    pro = plan(client, "Pro", 4990)
    sub = subscribe(client, paying_customer(client), pro.price)

    pending = client.v1.subscriptions.update(sub.id, params={"cancel_at_period_end": True})
    admin.advance(period_end(sub) - admin.now() - 60)
    still = client.v1.subscriptions.retrieve(sub.id).status
    admin.advance(120)

    assert pending.cancel_at == period_end(sub)
    assert still == "active"
    ended = client.v1.subscriptions.retrieve(sub.id)
    assert (ended.status, ended.ended_at) == ("canceled", period_end(sub))
    assert "customer.subscription.deleted" in event_types(client)
    assert client.v1.subscriptions.list(params={"customer": ended.customer}).data == []
    everything = client.v1.subscriptions.list(params={"status": "all"})
    assert [s.id for s in everything.data] == [sub.id]


def test_delete_cancels_at_once(client):
    pro = plan(client, "Pro", 4990)
    sub = subscribe(client, paying_customer(client), pro.price)

    canceled = client.v1.subscriptions.cancel(
        sub.id, params={"cancellation_details": {"comment": "store closed"}}
    )

    assert canceled.status == "canceled"
    assert canceled.cancellation_details.reason == "cancellation_requested"
    assert canceled.cancellation_details.comment == "store closed"


def test_incomplete_subscription_expires_after_23_hours(client, admin):
    pro = plan(client, "Pro", 4990)
    sub = subscribe(client, paying_customer(client, "pm_card_chargeDeclined"), pro.price)

    admin.advance(23 * 3600 + 1)

    assert sub.status == "incomplete"
    assert client.v1.subscriptions.retrieve(sub.id).status == "incomplete_expired"
    assert client.v1.invoices.retrieve(sub.latest_invoice).status == "void"
