"""Changes to sandbox data: answers posted by sellers and the admin's simulated events.

Each change is dated by the sandbox clock, drawn from the event RNG and followed by the
notification ML would send (``questions``, ``orders_v2``, ``items``).
"""

from __future__ import annotations

from doubles.mercadolivre.data import (
    AWAITING_SHIPMENT,
    item_new,
    order_dates_capped,
    order_new,
    order_pay,
    question_new,
    shipment_not_sent_yet,
)
from doubles.mercadolivre.errors import BadRequest, Forbidden, NotFound
from doubles.mercadolivre.records import Answer, Item, Order, Seller
from doubles.mercadolivre.render import JSON, item_json, order_json, question_json
from doubles.mercadolivre.state import SandboxState

ANSWER_MAX_CHARS = 2000
EVENT_TYPES = ("order_created", "order_updated", "item_updated", "question_created")
# What order_created may start as: paid, or confirmed (awaiting payment; order_updated pays it).
CREATED_ORDER_STATUSES = ("paid", "confirmed")
SHIPMENT_NEXT = {
    "pending": AWAITING_SHIPMENT,
    "ready_to_ship": ("shipped", None),
    "shipped": ("delivered", None),
}


def _strict_int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def answer_post(state: SandboxState, *, seller_id: int, body: object) -> JSON:
    """``POST /answers``: validate as ML does, answer, notify; returns the question."""
    if not isinstance(body, dict) or "question_id" not in body or "text" not in body:
        raise BadRequest("The body must be JSON with question_id and text", "invalid_post_body")
    question_id = _strict_int(body["question_id"])
    if question_id is None:
        raise BadRequest("question_id must be an integer", "invalid_question")
    text = body["text"]
    if not isinstance(text, str) or not text.strip():
        raise BadRequest("text must be a non-empty string", "invalid_post_body")
    if len(text) > ANSWER_MAX_CHARS:
        raise BadRequest(
            f"text is {len(text)} characters long; the maximum is {ANSWER_MAX_CHARS}",
            "invalid_text_length",
        )
    with state.lock:
        question = state.dataset.questions.get(question_id)
        if question is None:
            raise NotFound(f"Question {question_id} not found", "invalid_question")
        if question.seller_id != seller_id:
            raise Forbidden()
        if question.status != "UNANSWERED":
            raise BadRequest(
                f"Question {question_id} cannot be answered: its status is {question.status}",
                "question_already_answered" if question.answer else "question_not_answerable",
            )
        when = state.clock_tick()
        question.answer = Answer(text=text, status="ACTIVE", date_created=when)
        question.status = "ANSWERED"
        question.last_updated = when
        state.notifier.enqueue(
            topic="questions", resource=f"/questions/{question.id}", user_id=seller_id
        )
        return question_json(question, by_id=True)


def event_apply(state: SandboxState, *, body: object) -> JSON:
    """``POST /_sandbox/events``: change one resource of a seller; returns it, as ML shows it."""
    if not isinstance(body, dict) or body.get("type") not in EVENT_TYPES:
        raise BadRequest(f"type must be one of {', '.join(EVENT_TYPES)}")
    seller_id = _strict_int(body.get("seller_id"))
    if seller_id is None:
        raise BadRequest("seller_id must be an integer")
    with state.lock:
        seller = state.seller(seller_id)
        if seller is None:
            raise NotFound(f"Seller {seller_id} not found")
        kind = body["type"]
        if kind == "order_created":
            status = body.get("status", "paid")
            if status not in CREATED_ORDER_STATUSES:
                raise BadRequest(f"status must be one of {', '.join(CREATED_ORDER_STATUSES)}")
            return _order_created(state, seller, status=status)
        if kind == "order_updated":
            return _order_updated(state, seller, body.get("order_id"))
        if kind == "item_updated":
            item = _item_target(state, seller, body.get("item_id"))
            return _item_updated(state, item)
        item = _item_target(state, seller, body.get("item_id"))
        question = question_new(
            state.event_rng, state.dataset, item=item, created=state.clock_tick()
        )
        state.notifier.enqueue(
            topic="questions", resource=f"/questions/{question.id}", user_id=seller.id
        )
        return question_json(question, by_id=True)


def _seller_items(state: SandboxState, seller: Seller) -> list[Item]:
    items = [i for i in state.dataset.items.values() if i.seller_id == seller.id]
    active = [i for i in items if i.status == "active"]
    return active or items


def _item_target(state: SandboxState, seller: Seller, item_id: object) -> Item:
    if item_id is None:
        items = _seller_items(state, seller)
        if not items:
            item = item_new(state.event_rng, state.dataset, seller=seller, number=0)
            item.date_created = item.last_updated = state.clock_tick()
            return item
        return state.event_rng.choice(items)
    found = state.dataset.items.get(str(item_id))
    if found is None:
        raise NotFound(f"Item with id {item_id} not found")
    if found.seller_id != seller.id:
        raise Forbidden()
    return found


def _order_created(state: SandboxState, seller: Seller, *, status: str) -> JSON:
    # A buyer picks a listing in stock; when the seller has none left, any of theirs.
    items = [i for i in _seller_items(state, seller) if i.available_quantity > 0]
    if not items:
        items = [_item_target(state, seller, None)]
    created = state.clock_tick()
    order = order_new(
        state.event_rng,
        state.dataset,
        seller=seller,
        items=items,
        created=created,
        status=status,
    )
    if state.config.data_end is not None:
        # On the wall clock an order is paid as it is placed, never in the minutes to come, and
        # is not on its way yet.
        order_dates_capped(state.dataset, order=order, end=created)
        shipment_not_sent_yet(state.dataset, order=order)
    return _order_notified(state, seller, order)


def _order_updated(state: SandboxState, seller: Seller, order_id: object) -> JSON:
    if order_id is None:
        orders = [o for o in state.dataset.orders.values() if o.seller_id == seller.id]
        if not orders:
            return _order_created(state, seller, status="paid")
        order = state.event_rng.choice(orders)
    else:
        found = state.dataset.orders.get(_strict_int(order_id) or -1)
        if found is None:
            raise NotFound(f"Order {order_id} not found", "order_not_found")
        if found.seller_id != seller.id:
            raise Forbidden()
        order = found
    when = state.clock_tick()
    shipment = state.dataset.shipments[order.shipment_id]
    if order.status == "confirmed":
        order_pay(state.event_rng, state.dataset, order=order, at=when)
    if order.is_paid and shipment.status in SHIPMENT_NEXT:
        shipment.status, shipment.substatus = SHIPMENT_NEXT[shipment.status]
        if shipment.status == "shipped":
            shipment.tracking_number = f"NM{state.event_rng.randint(100_000_000, 999_999_999)}BR"
        if shipment.status == "delivered":
            order.tags = ["paid", "delivered"]
        shipment.last_updated = when
    order.date_last_updated = when
    if state.config.data_end is not None:
        order_dates_capped(state.dataset, order=order, end=when)  # a payment approved now
    return _order_notified(state, seller, order)


def _order_notified(state: SandboxState, seller: Seller, order: Order) -> JSON:
    state.notifier.enqueue(topic="orders_v2", resource=f"/orders/{order.id}", user_id=seller.id)
    return order_json(order, seller)


def _item_updated(state: SandboxState, item: Item) -> JSON:
    rng = state.event_rng
    factor = 1 + rng.choice((-1, 1)) * rng.randint(5, 15) / 100
    item.price_cents = max(100, round(item.price_cents * factor / 10) * 10)
    if item.status != "closed":
        item.available_quantity = max(0, item.available_quantity + rng.randint(-5, 20))
    item.last_updated = state.clock_tick()
    state.notifier.enqueue(topic="items", resource=f"/items/{item.id}", user_id=item.seller_id)
    return item_json(item)
