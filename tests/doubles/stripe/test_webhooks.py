"""Webhooks: signed like Stripe's, retried on errors, and the duplicate/out-of-order switches."""

import hashlib
import hmac

import stripe

from .flows import WEBHOOK_SECRET, event_types


def test_events_are_delivered_signed(client, admin, receiver):
    customer = client.v1.customers.create(params={"email": "a@example.com"})

    admin.post("webhooks/flush")

    [delivery] = receiver.received
    header = delivery.headers["Stripe-Signature"]
    fields = dict(part.split("=", 1) for part in header.split(","))
    expected = hmac.new(
        WEBHOOK_SECRET.encode(), f"{fields['t']}.{delivery.body}".encode(), hashlib.sha256
    ).hexdigest()
    assert hmac.compare_digest(fields["v1"], expected)
    event = stripe.Webhook.construct_event(delivery.body, header, WEBHOOK_SECRET)
    assert (event.type, event.data.object.id) == ("customer.created", customer.id)
    assert client.v1.events.retrieve(event.id).pending_webhooks == 0


def test_a_failing_endpoint_is_retried_until_it_answers(client, admin, receiver):
    receiver.statuses = [500, 503]
    client.v1.customers.create()

    receiver.wait_for(lambda: len(receiver.received) == 3)

    ids = {e["id"] for e in receiver.events()}
    assert len(ids) == 1
    attempts = admin.get("webhooks")["recent"]
    assert [(a["attempt"], a["status"]) for a in attempts] == [(1, 500), (2, 503), (3, 200)]


def test_an_endpoint_that_never_answers_gives_up_after_the_last_attempt(client, admin, receiver):
    receiver.statuses = [500] * 10
    client.v1.customers.create()

    receiver.wait_for(lambda: admin.get("webhooks")["failed"] == 1)

    assert len(receiver.received) == 4
    assert admin.get("webhooks")["pending"] == 0


def test_duplicate_switch_sends_each_event_twice(client, admin, receiver):
    admin.post("webhooks", {"duplicate": True})
    client.v1.customers.create()

    admin.post("webhooks/flush")

    assert [e["type"] for e in receiver.events()] == ["customer.created", "customer.created"]
    assert len({e["id"] for e in receiver.events()}) == 1


def test_out_of_order_switch_shuffles_what_is_sent_together(client, admin, receiver):
    admin.post("webhooks", {"paused": True, "out_of_order": True})
    created = [client.v1.customers.create(params={"name": f"c{i}"}).id for i in range(8)]

    admin.post("webhooks/flush")

    sent = [e["data"]["object"]["id"] for e in receiver.events()]
    assert sorted(sent) == sorted(created)
    assert sent != created


def test_paused_events_wait_for_a_flush_and_can_be_resent(client, admin, receiver):
    admin.post("webhooks", {"paused": True})
    client.v1.customers.create()
    held = admin.get("webhooks")["pending"]

    admin.post("webhooks/flush")
    event_id = receiver.events()[0]["id"]
    admin.post(f"events/{event_id}/resend")
    admin.post("webhooks/flush")

    assert held == 1
    assert [e["id"] for e in receiver.events()] == [event_id, event_id]
    assert event_types(client) == ["customer.created"]
