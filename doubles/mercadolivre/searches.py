"""The three searches (items, orders, questions): filters, sorts, paging and scan scrolls.

Query parameters are parsed here because their rules (limits, the 1000-offset ceiling, the
hour truncation of order dates) are the behaviour being faked.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

from doubles.mercadolivre.errors import BadRequest
from doubles.mercadolivre.records import Item, Order, Question
from doubles.mercadolivre.render import JSON, question_json
from doubles.mercadolivre.state import SandboxState, Scroll

OFFSET_CEILING = 1000
ITEM_SORTS: dict[str, tuple[str, Callable[[Item], tuple[object, ...]], bool]] = {
    # A listing's stop time follows its start, so both sort by date_created.
    "stop_time_asc": ("Order by stop time ascending", lambda i: (i.date_created, i.id), False),
    "stop_time_desc": ("Order by stop time descending", lambda i: (i.date_created, i.id), True),
    "start_time_asc": ("Order by start time ascending", lambda i: (i.date_created, i.id), False),
    "start_time_desc": ("Order by start time descending", lambda i: (i.date_created, i.id), True),
    "last_updated_asc": (
        "Order by last updated ascending",
        lambda i: (i.last_updated, i.id),
        False,
    ),
    "last_updated_desc": (
        "Order by last updated descending",
        lambda i: (i.last_updated, i.id),
        True,
    ),
    "price_asc": ("Order by price ascending", lambda i: (i.price_cents, i.id), False),
    "price_desc": ("Order by price descending", lambda i: (i.price_cents, i.id), True),
    "available_quantity_asc": (
        "Order by available quantity ascending",
        lambda i: (i.available_quantity, i.id),
        False,
    ),
    "available_quantity_desc": (
        "Order by available quantity descending",
        lambda i: (i.available_quantity, i.id),
        True,
    ),
    "inventory_id_asc": ("Order by inventory id ascending", lambda i: (i.id,), False),
}
ORDER_SORTS = {"date_asc": "Date ascending", "date_desc": "Date descending"}
QUESTION_SORT_FIELDS: dict[str, Callable[[Question], object]] = {
    "item_id": lambda q: q.item_id,
    "seller_id": lambda q: q.seller_id,
    "from_id": lambda q: q.buyer_id,
    "date_created": lambda q: q.date_created,
}


def int_param(params: Mapping[str, str], name: str, default: int, *, maximum: int | None) -> int:
    raw = params.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise BadRequest(f"Invalid {name} param: {raw!r} is not an integer") from None
    if value < 0:
        raise BadRequest(f"Invalid {name} param: must be >= 0")
    if maximum is not None and value > maximum:
        raise BadRequest(f"Invalid {name} param: the maximum allowed is {maximum}")
    return value


def _csv(params: Mapping[str, str], name: str) -> list[str]:
    return [part.strip() for part in params.get(name, "").split(",") if part.strip()]


# -- items ------------------------------------------------------------------------------------


def items_search(state: SandboxState, *, seller_id: int, params: Mapping[str, str]) -> JSON:
    """``/users/{id}/items/search``: ids only, by offset or by ``search_type=scan``."""
    sort_id = params.get("orders") or "stop_time_asc"
    if sort_id not in ITEM_SORTS:
        raise BadRequest(f"Invalid orders param: {sort_id!r}")
    limit = int_param(params, "limit", 50, maximum=100)
    scan = params.get("search_type") == "scan" or "scroll_id" in params
    if scan and "offset" in params:
        raise BadRequest("offset cannot be used with search_type=scan; use scroll_id instead")
    scroll_id: str | None = None
    with state.lock:
        if scan:
            if params.get("scroll_id"):
                scroll = _scroll_continued(
                    state, params["scroll_id"], seller_id=seller_id, kind="items"
                )
            else:
                ids = _item_ids(state, seller_id=seller_id, params=params, sort_id=sort_id)
                scroll = _scroll_open(state, seller_id=seller_id, kind="items", ids=tuple(ids))
            offset, total = scroll.position, len(scroll.ids)
            results, scroll_id = _scroll_page(state, scroll, limit)
        else:
            offset = int_param(params, "offset", 0, maximum=None)
            if offset + limit > OFFSET_CEILING:
                raise BadRequest(
                    f"offset + limit must not exceed {OFFSET_CEILING}; to read more results use "
                    "search_type=scan and follow the scroll_id"
                )
            ids = _item_ids(state, seller_id=seller_id, params=params, sort_id=sort_id)
            total, results = len(ids), list(ids[offset : offset + limit])
    body: JSON = {
        "seller_id": str(seller_id),
        "query": params.get("q"),
        "paging": {"limit": limit, "offset": offset, "total": total},
        "results": results,
    }
    if scan:
        body["scroll_id"] = scroll_id
    body["orders"] = [{"id": sort_id, "name": ITEM_SORTS[sort_id][0]}]
    body["available_orders"] = [
        {"id": key, "name": name} for key, (name, _, _) in ITEM_SORTS.items() if key != sort_id
    ]
    return body


def _item_ids(
    state: SandboxState, *, seller_id: int, params: Mapping[str, str], sort_id: str
) -> list[str | int]:
    """The seller's item ids that pass the filters, in the requested order."""
    statuses = set(_csv(params, "status"))
    sku, seller_sku = params.get("sku"), params.get("seller_sku")
    listing_type = params.get("listing_type_id")
    items = [
        item
        for item in state.dataset.items.values()
        if item.seller_id == seller_id
        and (not statuses or item.status in statuses)
        and (sku is None or item.sku == sku)
        and (seller_sku is None or item.sku == seller_sku)
        and (listing_type is None or item.listing_type_id == listing_type)
    ]
    _, key, reverse = ITEM_SORTS[sort_id]
    return [item.id for item in sorted(items, key=key, reverse=reverse)]


# -- scrolls ----------------------------------------------------------------------------------


def _scroll_open(
    state: SandboxState, *, seller_id: int, kind: str, ids: tuple[str | int, ...]
) -> Scroll:
    now = time.time()
    for stale in [key for key, s in state.scrolls.items() if s.expires_at <= now]:
        del state.scrolls[stale]
    scroll = Scroll(
        id=f"YXBpY29yZS1{kind}==:{secrets.token_urlsafe(24)}",
        seller_id=seller_id,
        kind=kind,
        ids=ids,
        position=0,
        expires_at=now + state.config.scroll_ttl,
    )
    state.scrolls[scroll.id] = scroll
    return scroll


def _scroll_continued(state: SandboxState, scroll_id: str, *, seller_id: int, kind: str) -> Scroll:
    scroll = state.scrolls.get(scroll_id)
    if scroll is None or scroll.expires_at <= time.time():
        state.scrolls.pop(scroll_id, None)
        raise BadRequest("scroll_id is invalid or expired; start a new scan", "invalid_scroll_id")
    if scroll.seller_id != seller_id or scroll.kind != kind:
        raise BadRequest("scroll_id does not belong to this search", "invalid_scroll_id")
    return scroll


def _scroll_page(
    state: SandboxState, scroll: Scroll, limit: int
) -> tuple[list[str | int] | None, str | None]:
    """The next page; past the end ``null`` and no scroll id (the scroll is closed).

    items-y-busquedas, "Buscar más de 1000 registros": "Cuando llegues al final recibirás null".
    """
    page = list(scroll.ids[scroll.position : scroll.position + limit])
    if not page:
        state.scrolls.pop(scroll.id, None)
        return None, None
    scroll.position += len(page)
    scroll.expires_at = time.time() + state.config.scroll_ttl
    return page, scroll.id


# -- orders -----------------------------------------------------------------------------------


def _hour_truncated(params: Mapping[str, str], name: str) -> datetime | None:
    raw = params.get(name)
    if not raw:
        return None
    try:
        # An unencoded "+" of a UTC offset arrives as a space.
        moment = datetime.fromisoformat(raw[:11] + raw[11:].replace(" ", "+"))
    except ValueError:
        raise BadRequest(f"Invalid {name} param: {raw!r} is not an ISO-8601 date") from None
    if moment.tzinfo is None:
        raise BadRequest(f"Invalid {name} param: the date needs a UTC offset")
    # ML uses dates "up to the hour", discarding minutes, seconds and milliseconds.
    return moment.replace(minute=0, second=0, microsecond=0)


@dataclass(frozen=True)
class OrderPage:
    orders: list[Order]
    total: int
    offset: int
    limit: int
    sort_id: str


def orders_search(state: SandboxState, *, seller_id: int, params: Mapping[str, str]) -> OrderPage:
    sort_id = params.get("sort") or "date_asc"
    if sort_id not in ORDER_SORTS:
        raise BadRequest(f"Invalid sort param: {sort_id!r}")
    limit = int_param(params, "limit", 50, maximum=50)
    offset = int_param(params, "offset", 0, maximum=None)
    statuses = set(_csv(params, "order.status"))
    windows = [
        (
            _hour_truncated(params, f"order.{field}.from"),
            _hour_truncated(params, f"order.{field}.to"),
            field,
        )
        for field in ("date_created", "date_closed", "date_last_updated")
    ]
    query = (params.get("q") or "").strip().lower()
    with state.lock:
        orders = [
            order
            for order in state.dataset.orders.values()
            if order.seller_id == seller_id
            and (not statuses or order.status in statuses)
            and all(_inside(_order_date(order, f), low, high) for low, high, f in windows)
            and (not query or _order_matches(order, query))
        ]
    # Sellers' orders sort by date_closed (date_created until closed), as ML documents.
    orders.sort(
        key=lambda o: (o.date_closed or o.date_created, o.id), reverse=sort_id == "date_desc"
    )
    return OrderPage(
        orders=orders[offset : offset + limit],
        total=len(orders),
        offset=offset,
        limit=limit,
        sort_id=sort_id,
    )


def _order_date(order: Order, field: str) -> datetime | None:
    if field == "date_created":
        return order.date_created
    if field == "date_closed":
        return order.date_closed
    return order.date_last_updated


def _inside(moment: datetime | None, low: datetime | None, high: datetime | None) -> bool:
    if low is None and high is None:
        return True
    if moment is None:
        return False
    return (low is None or moment >= low) and (high is None or moment <= high)


def _order_matches(order: Order, query: str) -> bool:
    haystack = [str(order.id), order.buyer.nickname.lower()]
    for line in order.lines:
        haystack += [line.item_id.lower(), line.title.lower()]
    return any(query in text for text in haystack)


# -- questions --------------------------------------------------------------------------------


def questions_search(
    state: SandboxState,
    *,
    caller_id: int,
    seller_id: int | None,
    item_id: str | None,
    params: Mapping[str, str],
) -> JSON:
    limit = int_param(params, "limit", 50, maximum=100)
    offset = int_param(params, "offset", 0, maximum=None)
    statuses = {status.upper() for status in _csv(params, "status")}
    asker = params.get("from")
    fields = _csv(params, "sort_fields") or ["date_created"]
    directions = [d.upper() for d in _csv(params, "sort_types")] or ["DESC"]
    unknown = [f for f in fields if f not in QUESTION_SORT_FIELDS]
    if unknown or any(d not in ("ASC", "DESC") for d in directions):
        raise BadRequest("Invalid sort_fields/sort_types params")
    with state.lock:
        questions = [
            q
            for q in state.dataset.questions.values()
            if (seller_id is None or q.seller_id == seller_id)
            and (item_id is None or q.item_id == item_id)
            and (not statuses or q.status in statuses)
            and (asker is None or str(q.buyer_id) == asker)
        ]
        questions.sort(key=lambda q: q.id)
        for index in reversed(range(len(fields))):
            direction = directions[index] if index < len(directions) else directions[-1]
            key = QUESTION_SORT_FIELDS[fields[index]]
            questions.sort(key=key, reverse=direction == "DESC")  # type: ignore[arg-type]
        page = [question_json(q, by_id=False) for q in questions[offset : offset + limit]]
    return {
        "total": len(questions),
        "limit": limit,
        "questions": page,
        "filters": {
            "limit": limit,
            "offset": offset,
            "api_version": params.get("api_version", "4"),
            "is_admin": False,
            "sorts": [f"{f} {d}" for f, d in zip(fields, directions, strict=False)],
            "caller": caller_id,
            "seller": str(seller_id) if seller_id is not None else None,
            "item": item_id,
        },
        "available_filters": [],
        "available_sorts": [],
    }
