"""A store's orders: filtered, one by one, and every match for the CSV export."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.db.models import Q, QuerySet

from integrations.mercadolivre.models import MLOrder
from integrations.mercadolivre.selectors.sales import seller_day_start

ORDER_LIST_FIELDS = (
    "id",
    "account",
    "status",
    "date_created",
    "total_cents",
    "paid_cents",
    "currency",
    "buyer_id",
    "buyer_nickname",
    "items",
)


@dataclass(frozen=True)
class OrderFilters:
    status: str = ""
    date_from: date | None = None
    date_to: date | None = None
    q: str = ""
    account_id: int | None = None  # one account's orders (its MLAccount pk); None: all


def orders_filtered(*, filters: OrderFilters) -> QuerySet[MLOrder]:
    orders = MLOrder.objects.all()
    if filters.account_id is not None:
        orders = orders.filter(account_id=filters.account_id)
    if filters.status:
        orders = orders.filter(status=filters.status)
    if filters.date_from:
        orders = orders.filter(date_created__gte=seller_day_start(filters.date_from))
    if filters.date_to:
        orders = orders.filter(
            date_created__lt=seller_day_start(filters.date_to + timedelta(days=1))
        )
    q = filters.q.strip()
    if q:
        if q.isdigit():
            orders = orders.filter(Q(pk=int(q)) | Q(buyer_id=int(q)))
        else:
            orders = orders.filter(buyer_nickname__icontains=q)
    return orders


def order_get(*, order_id: int) -> MLOrder | None:
    """An order with the account it belongs to."""
    return MLOrder.objects.defer("raw").select_related("account").filter(pk=order_id).first()


EXPORT_COLUMNS = (
    "id",
    "date_created",
    "status",
    "buyer_id",
    "buyer_nickname",
    "total_cents",
    "paid_cents",
    "currency",
    "items",
    "account__nickname",
    "account__ml_user_id",
)


def orders_for_export(*, filters: OrderFilters) -> Iterator[tuple[Any, ...]]:
    """Every matching order, newest first, read in chunks through a server-side cursor: the
    ``EXPORT_COLUMNS``, the account's last (nickname and ML user id; None for a row of no
    account)."""
    return (
        orders_filtered(filters=filters)
        .order_by("-date_created", "-id")
        .values_list(*EXPORT_COLUMNS)
        .iterator(chunk_size=2000)
    )
