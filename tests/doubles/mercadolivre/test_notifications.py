"""Notifications from the sandbox to a real local callback: delivery, retries, quirks, losses."""

import time
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest

from doubles.mercadolivre import SandboxConfig, SandboxServer
from tests.doubles.mercadolivre.flows import CLIENT_ID, Receiver, admin, bearer
from tests.support.waiting import wait_until

# NOTIF's orders_v2, items and questions examples: no "_id" (productos-recibe-notificaciones).
PAYLOAD_KEYS = {"resource", "user_id", "topic", "application_id", "attempts", "sent"}


@pytest.fixture(scope="module")
def sandbox_server(receiver: Receiver) -> Iterator[SandboxServer]:
    """This module's sandbox notifies ``receiver``; retries wait 5 ms, 10 ms, 20 ms..."""
    config = SandboxConfig(
        sellers=2,
        items=10,
        orders=5,
        questions=10,
        webhook_url=receiver.url,
        notify_retry_scale=0.005,
    )
    with SandboxServer(config) as server:
        yield server


@pytest.fixture(autouse=True)
def _settled(sandbox_server: SandboxServer, receiver: Receiver) -> None:
    """Nothing still in flight from the previous test; the callback answers 200 again."""
    assert wait_until(lambda: sandbox_server.state.notifier.summary()["pending"] == 0, every=0.02)
    receiver.answer()


def _notifications(api) -> dict[str, Any]:
    return dict(admin(api, "/_sandbox/state")["notifications"])


def test_answer_sends_a_questions_notification_with_a_string_user_id(
    api, tokens_a, seller_a, receiver
):
    question = api.get(
        "/questions/search",
        params={"seller_id": seller_a, "status": "UNANSWERED", "api_version": 4},
        headers=bearer(tokens_a),
    ).json()["questions"][0]

    api.post(
        "/answers", json={"question_id": question["id"], "text": "Sim!"}, headers=bearer(tokens_a)
    )

    [payload] = receiver.wait_for(1)
    assert set(payload) == PAYLOAD_KEYS | {"received"}
    assert payload["resource"] == f"/questions/{question['id']}"
    assert payload["user_id"] == str(seller_a)
    assert payload["topic"] == "questions"
    assert payload["application_id"] == CLIENT_ID
    assert payload["attempts"] == 1
    datetime.fromisoformat(payload["sent"])
    datetime.fromisoformat(payload["received"])
    assert wait_until(lambda: _notifications(api)["delivered"] == 1, every=0.02)


def test_order_event_sends_orders_v2_with_an_int_user_id(api, seller_a, receiver):
    order = admin(api, "/_sandbox/events", {"type": "order_created", "seller_id": seller_a})

    [payload] = receiver.wait_for(1)

    assert payload["topic"] == "orders_v2"
    assert payload["resource"] == f"/orders/{order['id']}"
    assert payload["user_id"] == seller_a


def test_failed_attempts_are_retried_with_attempts_counting_up(api, seller_a, receiver):
    receiver.answer((500, 0), (503, 0))

    admin(api, "/_sandbox/events", {"type": "item_updated", "seller_id": seller_a})

    payloads = receiver.wait_for(3)
    assert [p["attempts"] for p in payloads] == [1, 2, 3]
    # A redelivery keeps "received" and changes "sent" and "attempts".
    assert len({p["received"] for p in payloads}) == 1
    assert all("_id" not in p for p in payloads)
    sent = [p["sent"] for p in payloads]
    assert sent == sorted(sent)
    assert wait_until(lambda: _notifications(api)["delivered"] == 1, every=0.02)
    assert _notifications(api)["attempts"] == 3


def test_an_answer_slower_than_500_ms_is_a_failed_attempt(api, seller_a, receiver):
    receiver.answer((200, 0.6))

    admin(api, "/_sandbox/events", {"type": "order_updated", "seller_id": seller_a})

    payloads = receiver.wait_for(2)
    assert [p["attempts"] for p in payloads] == [1, 2]


def test_eight_failures_put_the_notification_in_missed_feeds(api, tokens_a, seller_a, receiver):
    receiver.answer(default_status=500)

    item = admin(api, "/_sandbox/events", {"type": "item_updated", "seller_id": seller_a})

    assert wait_until(lambda: _notifications(api)["missed"] == 1, every=0.02)
    assert [p["attempts"] for p in receiver.payloads] == list(range(1, 9))
    feeds = api.get("/missed_feeds", params={"app_id": CLIENT_ID}, headers=bearer(tokens_a))
    [message] = feeds.json()["messages"]
    assert message["resource"] == f"/items/{item['id']}"
    assert message["topic"] == "items"
    assert message["attempts"] == 8
    assert message["request"]["url"] == receiver.url
    assert message["request"]["headers"]["content-type"] == "application/json"
    assert '"attempts": 1' in message["request"]["data"]
    assert message["response"]["http_code"] == 500
    assert message["response"]["req_time"] >= 0
    by_topic = api.get(
        "/missed_feeds",
        params={"app_id": CLIENT_ID, "topic": "orders_v2"},
        headers=bearer(tokens_a),
    )
    assert by_topic.json() == {"messages": []}


def test_quirks_send_id_and_recieved(api, seller_a, receiver):
    admin(api, "/_sandbox/faults", {"quirks": True, "quirks_fraction": 1})

    admin(api, "/_sandbox/events", {"type": "item_updated", "seller_id": seller_a})
    [items] = receiver.wait_for(1)
    admin(api, "/_sandbox/events", {"type": "order_created", "seller_id": seller_a})
    orders = receiver.wait_for(2)[1]

    assert "id" in items
    assert "_id" not in items
    assert "recieved" in items
    assert "received" not in items
    assert "id" in orders
    assert "received" in orders


def test_duplicate_sends_each_notification_twice(api, seller_a, receiver):
    admin(api, "/_sandbox/faults", {"duplicate": True})

    order = admin(api, "/_sandbox/events", {"type": "order_created", "seller_id": seller_a})

    payloads = receiver.wait_for(2)
    assert [p["resource"] for p in payloads] == [f"/orders/{order['id']}"] * 2
    # The same event twice: nothing but "sent" tells the copies apart.
    assert payloads[0]["received"] == payloads[1]["received"]
    assert {key: v for key, v in payloads[0].items() if key != "sent"} == {
        key: v for key, v in payloads[1].items() if key != "sent"
    }


def test_slow_callbacks_deactivate_the_topic_and_nothing_is_kept(api, seller_a, receiver):
    admin(api, "/_sandbox/faults", {"deactivate_after_slow": 2})
    receiver.answer(default_status=500)

    admin(api, "/_sandbox/events", {"type": "item_updated", "seller_id": seller_a})
    assert wait_until(lambda: _notifications(api)["deactivated_topics"] == ["items"], every=0.02)
    receiver.answer()
    admin(api, "/_sandbox/events", {"type": "item_updated", "seller_id": seller_a})
    admin(api, "/_sandbox/events", {"type": "order_created", "seller_id": seller_a})

    [order] = receiver.wait_for(1)
    time.sleep(0.1)
    assert order["topic"] == "orders_v2"
    assert receiver.payloads == [order]
    state = _notifications(api)
    assert state["missed"] == 0
    assert state["dropped"] == 2
    admin(api, "/_sandbox/faults", {"deactivate_after_slow": None})
    admin(api, "/_sandbox/events", {"type": "item_updated", "seller_id": seller_a})
    assert receiver.wait_for(2)[1]["topic"] == "items"


def test_no_webhook_url_sends_nothing():
    config = SandboxConfig(sellers=1, items=2, orders=1, questions=1)
    with SandboxServer(config) as server:
        server.state.notifier.enqueue(topic="items", resource="/items/MLB1", user_id=1)
        assert server.state.notifier.summary()["pending"] == 0
