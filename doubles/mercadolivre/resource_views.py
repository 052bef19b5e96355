"""The bearer-token API: users, items, orders, questions, answers, shipments and missed feeds.

Each view authenticates, checks that the resource belongs to the token's seller (403 when it
does not, 404 when it does not exist) and renders ML's JSON.
"""

from __future__ import annotations

import json

from werkzeug.wrappers import Response

from doubles.mercadolivre.errors import BadRequest, Forbidden, NotFound
from doubles.mercadolivre.events import answer_post
from doubles.mercadolivre.records import Order
from doubles.mercadolivre.render import (
    JSON,
    item_json,
    order_json,
    projected,
    question_json,
    shipment_json,
    user_json,
)
from doubles.mercadolivre.searches import (
    ORDER_SORTS,
    int_param,
    items_search,
    orders_search,
    questions_search,
)
from doubles.mercadolivre.web import Call, Route, json_response

MULTIGET_MAX_IDS = 20


def _id_arg(value: str, *, missing: NotFound) -> int:
    if not value.isdigit():
        raise missing
    return int(value)


def _attributes(call: Call) -> list[str] | None:
    raw = call.request.args.get("attributes")
    if raw is None:
        return None
    return [name.strip() for name in raw.split(",") if name.strip()]


def user_get(call: Call) -> Response:
    caller = call.caller_id()
    raw = call.args["user_id"]
    missing = NotFound(f"User {raw} not found", "user_not_found")
    user_id = caller if raw == "me" else _id_arg(raw, missing=missing)
    seller = call.state.seller(user_id)
    if seller is None:
        raise missing
    body = user_json(seller, private=seller.id == caller)
    return json_response(projected(body, _attributes(call)))


def user_items_search(call: Call) -> Response:
    caller = call.caller_id()
    user_id = _id_arg(call.args["user_id"], missing=NotFound("User not found", "user_not_found"))
    if call.state.seller(user_id) is None:
        raise NotFound(f"User {user_id} not found", "user_not_found")
    if user_id != caller:
        raise Forbidden()
    return json_response(items_search(call.state, seller_id=user_id, params=call.request.args))


def _item_entry(call: Call, item_id: str, caller: int) -> tuple[int, JSON]:
    item = call.state.dataset.items.get(item_id)
    if item is None:
        return 404, NotFound(f"Item with id {item_id} not found").body()
    if item.seller_id != caller:
        return 403, Forbidden().body()
    return 200, projected(item_json(item), _attributes(call))


def item_get(call: Call) -> Response:
    caller = call.caller_id()
    with call.state.lock:
        status, body = _item_entry(call, call.args["item_id"], caller)
    return json_response(body, status)


def items_multiget(call: Call) -> Response:
    caller = call.caller_id()
    ids = [part.strip() for part in call.request.args.get("ids", "").split(",") if part.strip()]
    if not ids:
        raise BadRequest("The ids param is required: /items?ids=MLB1,MLB2")
    if len(ids) > MULTIGET_MAX_IDS:
        raise BadRequest(f"Too many ids: a multiget takes at most {MULTIGET_MAX_IDS}")
    with call.state.lock:
        entries = [_item_entry(call, item_id, caller) for item_id in ids]
    return json_response([{"code": code, "body": body} for code, body in entries])


def _order_body(call: Call, order: Order, *, partial: bool) -> JSON:
    seller = call.state.seller(order.seller_id)
    assert seller is not None
    body = order_json(order, seller)
    if partial:
        del body["buyer"]
    return body


def _order_response(body: object, *, partial: bool) -> Response:
    """ML answers 206 and names what it left out when part of an order could not be read."""
    if partial:
        return json_response(body, 206, {"X-Content-Missing": "buyer"})
    return json_response(body)


def order_get(call: Call) -> Response:
    caller = call.caller_id()
    raw = call.args["order_id"]
    missing = NotFound(f"Order {raw} not found", "order_not_found")
    with call.state.lock:
        order = call.state.dataset.orders.get(_id_arg(raw, missing=missing))
        if order is None:
            raise missing
        if order.seller_id != caller:
            raise Forbidden()
        partial = call.state.faults.settings.partial_orders
        body = _order_body(call, order, partial=partial)
    return _order_response(body, partial=partial)


def orders_search_view(call: Call) -> Response:
    caller = call.caller_id()
    params = call.request.args
    raw_seller = params.get("seller", "")
    if not raw_seller.isdigit():
        raise BadRequest("The seller param (the token's user id) is required", "caller.id.invalid")
    if int(raw_seller) != caller:
        raise Forbidden()
    page = orders_search(call.state, seller_id=caller, params=params)
    with call.state.lock:
        partial = call.state.faults.settings.partial_orders
        results = [_order_body(call, order, partial=partial) for order in page.orders]
    body = {
        "query": params.get("q"),
        "results": results,
        "sort": {"id": page.sort_id, "name": ORDER_SORTS[page.sort_id]},
        "available_sorts": [
            {"id": key, "name": name} for key, name in ORDER_SORTS.items() if key != page.sort_id
        ],
        "filters": [],
        "paging": {"total": page.total, "offset": page.offset, "limit": page.limit},
        "display": "complete",
    }
    return _order_response(body, partial=partial)


def questions_search_view(call: Call) -> Response:
    caller = call.caller_id()
    params = call.request.args
    raw_seller = params.get("seller_id")
    item_id = params.get("item") or params.get("item_id")
    if raw_seller is None and item_id is None:
        raise BadRequest("Send seller_id or item to search questions")
    seller_id = None
    if raw_seller is not None:
        if not raw_seller.isdigit():
            raise BadRequest("seller_id must be an integer")
        seller_id = int(raw_seller)
        if seller_id != caller:
            raise Forbidden()
    if item_id is not None:
        item = call.state.dataset.items.get(item_id)
        if item is None:
            raise NotFound(f"Item with id {item_id} not found")
        if item.seller_id != caller:
            raise Forbidden()
    body = questions_search(
        call.state, caller_id=caller, seller_id=seller_id, item_id=item_id, params=params
    )
    return json_response(body)


def question_get(call: Call) -> Response:
    caller = call.caller_id()
    raw = call.args["question_id"]
    missing = NotFound(f"Question {raw} not found", "not_found")
    with call.state.lock:
        question = call.state.dataset.questions.get(_id_arg(raw, missing=missing))
        if question is None:
            raise missing
        if question.seller_id != caller:
            raise Forbidden()
        body = question_json(question, by_id=True)
    return json_response(body)


def answer_create(call: Call) -> Response:
    caller = call.caller_id()
    try:
        body: object = json.loads(call.request.get_data(as_text=True) or "null")
    except ValueError:
        raise BadRequest("The body is not valid JSON", "invalid_post_body") from None
    return json_response(answer_post(call.state, seller_id=caller, body=body))


def shipment_get(call: Call) -> Response:
    caller = call.caller_id()
    if call.request.headers.get("x-format-new", "").lower() != "true":
        raise BadRequest(
            "This resource needs the header 'x-format-new: true' (the new shipments format)",
            "missing_header",
        )
    raw = call.args["shipment_id"]
    missing = NotFound(f"Shipment {raw} not found", "shipment_not_found")
    with call.state.lock:
        shipment = call.state.dataset.shipments.get(_id_arg(raw, missing=missing))
        if shipment is None:
            raise missing
        if shipment.seller_id != caller:
            raise Forbidden()
        order = call.state.dataset.orders[shipment.order_id]
        seller = call.state.seller(shipment.seller_id)
        assert seller is not None
        body = shipment_json(shipment, order, seller)
    return json_response(body)


def missed_feeds(call: Call) -> Response:
    access = call.access()
    params = call.request.args
    app_id = params.get("app_id")
    if not app_id:
        raise BadRequest("The app_id param is required")
    if app_id != access.client_id:
        raise Forbidden()
    offset = int_param(params, "offset", 0, maximum=None)
    limit = int_param(params, "limit", 10, maximum=None)
    messages = call.state.notifier.missed_feeds(topic=params.get("topic"))
    return json_response({"messages": messages[offset : offset + limit]})


ROUTES = (
    Route("/users/<user_id>", ("GET",), user_get, "resource"),
    Route("/users/<user_id>/items/search", ("GET",), user_items_search, "resource"),
    Route("/items", ("GET",), items_multiget, "resource"),
    Route("/items/<item_id>", ("GET",), item_get, "resource"),
    Route("/orders/search", ("GET",), orders_search_view, "resource"),
    Route("/orders/<order_id>", ("GET",), order_get, "resource"),
    Route("/questions/search", ("GET",), questions_search_view, "resource"),
    Route("/questions/<question_id>", ("GET",), question_get, "resource"),
    Route("/answers", ("POST",), answer_create, "resource"),
    Route("/shipments/<shipment_id>", ("GET",), shipment_get, "resource"),
    Route("/missed_feeds", ("GET",), missed_feeds, "resource"),
)
