"""Data on a calendar ending at an anchor (``data_end``): current, deterministic, never later.

The anchor 03:05 UTC is 00:05 in São Paulo: "today" there has lasted five minutes.
"""

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from doubles.mercadolivre import SandboxConfig, SandboxServer
from doubles.mercadolivre.data import DATA_END
from doubles.mercadolivre.events import event_apply
from doubles.mercadolivre.state import SandboxState
from tests.doubles.mercadolivre.flows import admin, bearer, tokens_for
from tests.doubles.mercadolivre.test_data import _everything_served

SAO_PAULO = ZoneInfo("America/Sao_Paulo")
ANCHOR = datetime(2026, 12, 6, 3, 5, tzinfo=UTC)
LOCAL_MIDNIGHT = datetime(2026, 12, 6, tzinfo=SAO_PAULO)


@pytest.fixture(scope="module")
def sandbox_server() -> Iterator[SandboxServer]:
    with SandboxServer(SandboxConfig(data_end=ANCHOR)) as server:
        yield server


def _when(value: Any) -> datetime:
    return datetime.fromisoformat(str(value))


def _orders(api: httpx.Client, tokens: dict[str, Any], seller: int, **params: Any) -> Any:
    response = api.get(
        "/orders/search", params={"seller": seller, **params}, headers=bearer(tokens)
    )
    assert response.status_code == 200, response.text
    return response.json()


def test_same_seed_and_anchor_serve_identical_bytes():
    config = SandboxConfig(sellers=2, items=30, orders=20, questions=10, seed=5, data_end=ANCHOR)

    first, second = _everything_served(config), _everything_served(config)

    assert first == second
    assert first != _everything_served(
        SandboxConfig(sellers=2, items=30, orders=20, questions=10, seed=5)
    )


def test_the_anchored_calendar_moves_the_same_draws(sandbox_server):
    fixed = SandboxState(SandboxConfig()).dataset
    anchored = sandbox_server.state.dataset
    shift = ANCHOR - DATA_END

    assert [s.id for s in anchored.sellers] == [s.id for s in fixed.sellers]
    for item in fixed.items.values():
        moved = anchored.items[item.id]
        assert (moved.title, moved.price_cents) == (item.title, item.price_cents)
        assert moved.date_created == item.date_created + shift
    for order in fixed.orders.values():
        assert anchored.orders[order.id].date_created == order.date_created + shift


def test_nothing_is_dated_after_the_anchor(sandbox_server):
    dataset = sandbox_server.state.dataset
    moments = [s.registration_date for s in dataset.sellers]
    for item in dataset.items.values():
        moments += [item.date_created, item.last_updated]
    for order in dataset.orders.values():
        moments += [order.date_created, order.date_last_updated, order.date_closed]
        moments += [p.date_approved for p in order.payments] + [
            p.date_created for p in order.payments
        ]
    for shipment in dataset.shipments.values():
        moments += [shipment.date_created, shipment.last_updated]
    for question in dataset.questions.values():
        moments += [question.date_created, question.last_updated]
        moments += [question.answer.date_created] if question.answer else []

    assert max(m for m in moments if m is not None) <= ANCHOR
    assert sandbox_server.state.dataset.calendar.end == ANCHOR


def test_each_seller_has_paid_orders_today_in_sao_paulo(api, sandbox_server):
    for seller in sandbox_server.state.sellers:
        tokens = tokens_for(api, seller.id)
        today = _orders(
            api,
            tokens,
            seller.id,
            **{"order.date_created.from": LOCAL_MIDNIGHT.isoformat(), "order.status": "paid"},
        )

        assert today["paging"]["total"] >= 2
        for order in today["results"]:
            created = _when(order["date_created"])
            assert created.astimezone(SAO_PAULO).date() == LOCAL_MIDNIGHT.date()
            assert created <= ANCHOR


def test_each_seller_has_orders_in_the_last_7_and_30_days(api, sandbox_server):
    for seller in sandbox_server.state.sellers:
        tokens = tokens_for(api, seller.id)
        week = _orders(
            api,
            tokens,
            seller.id,
            **{"order.date_created.from": (ANCHOR - timedelta(days=7)).isoformat()},
        )
        month = _orders(
            api,
            tokens,
            seller.id,
            **{"order.date_created.from": (ANCHOR - timedelta(days=30)).isoformat()},
        )

        assert week["paging"]["total"] >= 6
        assert month["paging"]["total"] > week["paging"]["total"]
        assert sum(o["status"] == "paid" for o in week["results"]) >= 2


def test_each_seller_has_unanswered_questions_of_the_last_hours(api, sandbox_server):
    for seller in sandbox_server.state.sellers:
        questions = api.get(
            "/questions/search",
            params={"seller_id": seller.id, "status": "UNANSWERED", "api_version": 4},
            headers=bearer(tokens_for(api, seller.id)),
        ).json()["questions"]
        recent = [q for q in questions if _when(q["date_created"]) >= ANCHOR - timedelta(hours=5)]

        assert 3 <= len(recent) <= 5
        assert all(q["answer"] is None and _when(q["date_created"]) <= ANCHOR for q in recent)


def test_each_seller_has_two_active_listings_sold_out(api, sandbox_server):
    for seller in sandbox_server.state.sellers:
        headers = bearer(tokens_for(api, seller.id))
        ids = api.get(
            f"/users/{seller.id}/items/search",
            params={"status": "active", "limit": 100},
            headers=headers,
        ).json()["results"]
        sold_out = []
        for start in range(0, len(ids), 20):
            chunk = api.get(
                "/items", params={"ids": ",".join(ids[start : start + 20])}, headers=headers
            ).json()
            sold_out += [e["body"]["id"] for e in chunk if e["body"]["available_quantity"] == 0]

        assert len(sold_out) >= 2


def test_events_are_dated_by_the_wall_clock(api, seller_a):
    before = datetime.now(UTC)
    first = admin(api, "/_sandbox/events", {"type": "order_created", "seller_id": seller_a})
    second = admin(api, "/_sandbox/events", {"type": "question_created", "seller_id": seller_a})
    after = datetime.now(UTC)

    # The order's date is shown to the second; the question's too.
    created = [_when(first["date_created"]), _when(second["date_created"])]
    assert all(before - timedelta(seconds=1) <= c <= after for c in created)
    assert before - timedelta(seconds=1) <= _when(first["date_closed"]) <= after
    state = admin(api, "/_sandbox/state")
    assert before <= _when(state["event_clock"]) <= after


def test_reset_regenerates_around_the_same_anchor(api, seller_a, sandbox_server):
    orders = dict(sandbox_server.state.dataset.orders)
    admin(api, "/_sandbox/events", {"type": "order_created", "seller_id": seller_a})

    state = admin(api, "/_sandbox/reset")

    assert _when(state["calendar"]["end"]) == ANCHOR
    assert list(sandbox_server.state.dataset.orders) == list(orders)


def _minted_ids(config: SandboxConfig) -> set[str]:
    """The ids two events mint for each seller: a listing (the order's, which the question
    reuses), the order, its shipment and payment, the question."""
    minted: set[str] = set()
    with SandboxServer(config) as server, httpx.Client(base_url=server.url) as client:
        for seller in server.state.sellers:
            order = admin(
                client, "/_sandbox/events", {"type": "order_created", "seller_id": seller.id}
            )
            question = admin(
                client, "/_sandbox/events", {"type": "question_created", "seller_id": seller.id}
            )
            minted |= {f"order {order['id']}", f"shipment {order['shipping']['id']}"}
            minted |= {f"payment {p['id']}" for p in order["payments"]}
            minted |= {f"item {line['item']['id']}" for line in order["order_items"]}
            minted |= {f"question {question['id']}", f"item {question['item_id']}"}
    return minted


def test_ids_minted_after_a_restart_never_repeat_the_earlier_ones():
    # No generated listings: each event mints its listing too.
    size = {"sellers": 2, "items": 0, "orders": 0, "questions": 0, "seed": 3}
    start = datetime.now(UTC).replace(microsecond=0)

    first = _minted_ids(SandboxConfig(**size, data_end=start))
    second = _minted_ids(SandboxConfig(**size, data_end=start + timedelta(minutes=1)))

    assert len(first) == len(second) == 2 * 5
    assert not first & second


@pytest.mark.parametrize(
    "later",
    [timedelta(hours=6), timedelta(hours=1, minutes=17), timedelta(days=3, hours=11)],
    ids=["six-hours", "an-hour-and-a-bit", "days-later"],
)
def test_a_restart_at_another_time_serves_the_same_records_with_new_dates(later):
    """A store synced before the restart holds exactly the records served after it: the same
    ids and contents, only dated anew (Peepers never deletes what the sandbox stops serving)."""
    morning = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)  # 09:00 in São Paulo
    before = SandboxState(SandboxConfig(data_end=morning)).dataset
    after = SandboxState(SandboxConfig(data_end=morning + later)).dataset

    assert list(after.orders) == list(before.orders)
    assert list(after.questions) == list(before.questions)
    assert list(after.items) == list(before.items)
    for order_id, order in after.orders.items():
        earlier = before.orders[order_id]
        assert (order.status, order.total_cents, order.buyer.id) == (
            earlier.status,
            earlier.total_cents,
            earlier.buyer.id,
        )
    assert [q.text for q in after.questions.values()] == [q.text for q in before.questions.values()]


def test_an_order_placed_now_waits_to_be_shipped_and_is_paid_now(api, seller_a, sandbox_server):
    state = sandbox_server.state
    for _ in range(12):  # the shipment's status was a draw: several orders to show none is sent
        order = admin(api, "/_sandbox/events", {"type": "order_created", "seller_id": seller_a})
        shipment = state.dataset.shipments[order["shipping"]["id"]]
        assert (shipment.status, shipment.tracking_number) == ("ready_to_ship", None)
        assert order["tags"] == ["paid", "not_delivered"]

    waiting = admin(
        api,
        "/_sandbox/events",
        {"type": "order_created", "seller_id": seller_a, "status": "confirmed"},
    )
    before = datetime.now(UTC)
    paid = admin(
        api,
        "/_sandbox/events",
        {"type": "order_updated", "seller_id": seller_a, "order_id": waiting["id"]},
    )
    after = datetime.now(UTC)
    assert paid["status"] == "paid"
    (payment,) = paid["payments"]
    assert before - timedelta(seconds=1) <= _when(payment["date_approved"]) <= after


def test_buyers_never_order_a_listing_that_is_sold_out():
    state = SandboxState(SandboxConfig(sellers=1, items=6, orders=3, questions=1, data_end=ANCHOR))
    seller = state.sellers[0].id
    sold_out = {
        item.id
        for item in state.dataset.items.values()
        if item.status == "active" and item.available_quantity == 0
    }
    assert sold_out

    bought = set()
    for _ in range(40):
        order = event_apply(state, body={"type": "order_created", "seller_id": seller})
        bought |= {line["item"]["id"] for line in order["order_items"]}

    assert bought
    assert not bought & sold_out
