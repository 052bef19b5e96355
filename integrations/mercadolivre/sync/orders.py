"""Orders: ``/orders/search`` read window by window, so no window needs an offset past 1000.

ML keeps a seller's orders for 12 months, filters dates to the hour, and refuses
``offset + limit`` beyond 1000. So the range is a stack of hour-aligned windows: a window
holding more than ``OFFSET_CEILING`` orders is split in half before any of it is read, the
rest is paged by offset. Bounds are inclusive, so an order dated exactly on a boundary is read
twice and stored once.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db import transaction

from integrations.mercadolivre.errors import MLMalformedResponse
from integrations.mercadolivre.models import MLOrder
from integrations.mercadolivre.priorities import Priority
from integrations.mercadolivre.sync.runs import ActiveRun, iso, parse_iso
from integrations.mercadolivre.upserts import orders_upsert

logger = logging.getLogger(__name__)

ORDERS_PAGE = 50  # ML's maximum for /orders/search
OFFSET_CEILING = 1000
ORDERS_LOOKBACK = timedelta(days=365)  # ML keeps orders for 12 months
HOUR = timedelta(hours=1)


def hour_floor(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def _ml_date(moment: datetime) -> str:
    """The format ML documents for order date filters."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000-00:00")


def orders_plan(*, field: str, since: datetime, until: datetime) -> dict[str, Any]:
    """A cursor reading the orders whose ``field`` falls between ``since`` and ``until``."""
    low, high = hour_floor(since), hour_floor(until) + HOUR
    return {
        "field": field,
        "since": iso(low),
        "windows": [[iso(low), iso(high)]],
        "offset": 0,
        "splits": 0,
    }


def _page(data: Any) -> tuple[list[dict[str, Any]], int]:
    if not isinstance(data, dict) or not isinstance(data.get("results"), list):
        raise MLMalformedResponse("the orders search answered without a results list")
    paging = data.get("paging") or {}
    results = [order for order in data["results"] if isinstance(order, dict) and order.get("id")]
    return results, int(paging.get("total") or 0)


def _missing_filled(bodies: list[dict[str, Any]], missing: Sequence[str]) -> list[dict[str, Any]]:
    """A 206 left fields out: keep what the stored copy says about them rather than erase it."""
    if not missing:
        return bodies
    stored = dict(
        MLOrder.objects.filter(pk__in=[int(body["id"]) for body in bodies]).values_list("pk", "raw")
    )
    filled = []
    for body in bodies:
        raw = stored.get(int(body["id"])) or {}
        filled.append({**{k: raw[k] for k in missing if k in raw and k not in body}, **body})
    return filled


def orders_read(active: ActiveRun) -> bool:
    """Store every order the cursor's windows hold; False when the time budget ran out."""
    state = active.section("orders")
    field = state["field"]
    while state["windows"]:
        low_text, high_text = state["windows"][-1]
        low, high = parse_iso(low_text), parse_iso(high_text)
        params = {
            "seller": active.seller_id,
            f"order.{field}.from": _ml_date(low),
            f"order.{field}.to": _ml_date(high),
            "sort": "date_asc",
            "limit": ORDERS_PAGE,
            "offset": state["offset"],
        }
        response = active.get("/orders/search", params, priority=Priority.HIGH)
        results, total = _page(response.data)
        if "total" not in state:  # the first answer is about the whole range
            state["total"] = total
            active.total("orders", total)
        if state["offset"] == 0 and total > OFFSET_CEILING and high - low > HOUR:
            middle = hour_floor(low + (high - low) / 2)
            with transaction.atomic():
                # The earlier half goes on top of the stack: it is read first.
                state["windows"][-1:] = [[iso(middle), high_text], [low_text, iso(middle)]]
                state["splits"] += 1
                active.checkpoint()
            continue
        with transaction.atomic():
            active.add(
                "orders",
                orders_upsert(_missing_filled(results, response.missing), account=active.account),
            )
            state["offset"] += len(results)
            if not results or state["offset"] >= min(total, OFFSET_CEILING):
                if total > OFFSET_CEILING:
                    # More than 1000 orders in one hour: ML gives no way to page further.
                    state["unreadable"] = state.get("unreadable", 0) + total - OFFSET_CEILING
                    logger.warning(
                        "orders between %s and %s: %d beyond ML's offset ceiling left unread",
                        low_text,
                        high_text,
                        total - OFFSET_CEILING,
                    )
                state["windows"].pop()
                state["offset"] = 0
            active.checkpoint()
        active.progressed()
        if active.out_of_time():
            return False
    return True
