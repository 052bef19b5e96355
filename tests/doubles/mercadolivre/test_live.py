"""The living sandbox: buyers act on their own for sellers who authorized the application."""

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from doubles.mercadolivre import SandboxConfig, SandboxServer
from tests.doubles.mercadolivre.flows import ADMIN, Receiver, admin, bearer, refresh, tokens_for
from tests.support.waiting import hold_for, wait_until

LIVE_SECONDS = 0.05
TOPIC_RESOURCES = {"orders_v2": "/orders/", "questions": "/questions/"}


@pytest.fixture(scope="module")
def sandbox_server(receiver: Receiver) -> Iterator[SandboxServer]:
    config = SandboxConfig(
        sellers=2,
        items=10,
        orders=5,
        questions=5,
        webhook_url=receiver.url,
        notify_retry_scale=0.005,
        data_end=datetime.now(UTC).replace(microsecond=0),
        live_seconds=LIVE_SECONDS,
    )
    with SandboxServer(config) as server:
        yield server


@pytest.fixture(autouse=True)
def _quiet(api: httpx.Client, sandbox_server: SandboxServer, receiver: Receiver) -> None:
    """Reset (no seller authorized), nothing in flight, nothing received."""
    assert wait_until(lambda: sandbox_server.state.notifier.summary()["pending"] == 0, every=0.02)
    receiver.answer()


def _live(api: httpx.Client) -> dict[str, float]:
    return dict(admin(api, "/_sandbox/state")["live"])


def test_buyers_stay_still_until_a_seller_authorizes(api, receiver):
    def still() -> None:
        assert _live(api) == {"seconds": LIVE_SECONDS, "actions": 0}
        assert receiver.payloads == []

    hold_for(10 * LIVE_SECONDS, still, every=LIVE_SECONDS)


def test_buyers_act_for_the_seller_who_authorized_and_ml_notifies(api, seller_a, receiver):
    tokens = tokens_for(api, seller_a)

    payloads = receiver.wait_for(4)

    assert {p["topic"] for p in payloads} <= set(TOPIC_RESOURCES)
    for payload in payloads:
        assert str(payload["user_id"]) == str(seller_a)
        assert payload["resource"].startswith(TOPIC_RESOURCES[payload["topic"]])
        resource = api.get(payload["resource"], headers=bearer(tokens))
        assert resource.status_code == 200, resource.text
        body = resource.json()
        owner = body["seller"]["id"] if payload["topic"] == "orders_v2" else body["seller_id"]
        assert owner == seller_a
        changed = body["date_last_updated" if payload["topic"] == "orders_v2" else "date_created"]
        assert datetime.now(UTC) - datetime.fromisoformat(changed) < timedelta(seconds=30)
    assert _live(api)["actions"] >= 4


def test_buyers_stop_acting_when_the_grant_is_revoked(api, seller_a, receiver):
    tokens_for(api, seller_a)
    receiver.wait_for(1)

    admin(api, "/_sandbox/faults", {"revoke_refresh_tokens": True})
    actions = _live(api)["actions"]

    def still() -> None:
        assert _live(api)["actions"] == actions

    hold_for(10 * LIVE_SECONDS, still, every=LIVE_SECONDS)


def test_buyers_act_for_a_seller_whose_grant_was_refreshed(api, seller_b, receiver):
    tokens = tokens_for(api, seller_b)
    assert refresh(api, tokens["refresh_token"]).status_code == 200

    payloads = receiver.wait_for(2)

    assert {str(p["user_id"]) for p in payloads} == {str(seller_b)}


def test_an_order_awaiting_payment_is_paid_by_order_updated(api, seller_a):
    order = admin(
        api,
        "/_sandbox/events",
        {"type": "order_created", "seller_id": seller_a, "status": "confirmed"},
    )
    assert (order["status"], order["payments"]) == ("confirmed", [])

    paid = admin(
        api,
        "/_sandbox/events",
        {"type": "order_updated", "seller_id": seller_a, "order_id": order["id"]},
    )

    assert paid["status"] == "paid"
    assert [p["status"] for p in paid["payments"]] == ["approved"]


def test_order_created_refuses_another_status(api, seller_a):
    response = api.post(
        "/_sandbox/events",
        json={"type": "order_created", "seller_id": seller_a, "status": "cancelled"},
        headers=ADMIN,
    )

    assert response.status_code == 400


def test_buyers_stop_with_the_server():
    config = SandboxConfig(sellers=1, items=3, orders=1, questions=1, live_seconds=LIVE_SECONDS)
    server = SandboxServer(config)
    with server, httpx.Client(base_url=server.url) as client:
        tokens_for(client, server.state.sellers[0].id)
        assert wait_until(lambda: server.state.live_actions >= 2, timeout=10, every=0.02)
        assert server.live.running

    stopped_at = server.state.live_actions
    time.sleep(5 * LIVE_SECONDS)

    assert not server.live.running
    assert server.state.live_actions == stopped_at


def test_live_seconds_default_to_still():
    with SandboxServer(SandboxConfig(sellers=1, items=3, orders=1, questions=1)) as server:
        assert not server.live.running
        assert server.state.summary()["live"] == {"seconds": 0.0, "actions": 0}
