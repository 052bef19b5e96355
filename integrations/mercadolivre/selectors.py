"""What is read of a store's Mercado Livre data: its account, sales figures, listings, orders,
questions, sync runs and notifications, for the seller's pages and the API alike. Queries whose
number does not grow with the store's data (pinned by tests/dashboard/test_behaviour.py and
test_figures.py)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db.models import Count, DateTimeField, Func, IntegerField, Q, QuerySet, Sum, Value
from django.utils import timezone

from integrations.mercadolivre.models import (
    MLAccount,
    MLAccountStatus,
    MLItem,
    MLOrder,
    MLQuestion,
    SyncRun,
    SyncStatus,
)
from integrations.mercadolivre.search import items_search
from integrations.models import MLNotification
from tenants.models import Tenant

SELLER_TZ = ZoneInfo(settings.PEEPERS_SELLER_TIME_ZONE)
CHART_DAYS = 30
# Orders that never became a sale: left out of order counts and revenue.
NOT_SALES = ("cancelled", "invalid")
PAID = "paid"
UNANSWERED = "UNANSWERED"
# Listings a buyer cannot buy for want of stock (a closed listing is not for sale anyway); the
# condition of the partial index ``mlitem_out_of_stock``.
OUT_OF_STOCK = Q(available_quantity__lte=0) & ~Q(status="closed")

ITEM_LIST_FIELDS = (
    "id",
    "title",
    "price_cents",
    "currency",
    "available_quantity",
    "sold_quantity",
    "status",
    "permalink",
    "thumbnail",
    "sku",
    "last_updated",
)
ORDER_LIST_FIELDS = (
    "id",
    "status",
    "date_created",
    "total_cents",
    "paid_cents",
    "currency",
    "buyer_id",
    "buyer_nickname",
    "items",
)


def seller_day_start(day: date) -> datetime:
    """Midnight of ``day`` in the seller's time zone, as an aware datetime."""
    return datetime.combine(day, time.min, tzinfo=SELLER_TZ)


def seller_today(now: datetime | None = None) -> date:
    return timezone.localtime(now or timezone.now(), SELLER_TZ).date()


# -- the account ---------------------------------------------------------------------------------


def ml_account_current() -> MLAccount | None:
    """The store's connected (or needing reconnection) ML account; None if never connected."""
    return (
        MLAccount.objects.exclude(status=MLAccountStatus.DISCONNECTED)
        .only("ml_user_id", "nickname", "status", "connected_at", "needs_reconnection_since")
        .first()
    )


# -- sales figures -------------------------------------------------------------------------------


@dataclass(frozen=True)
class PeriodSales:
    key: str
    orders: int
    revenue_cents: int


@dataclass(frozen=True)
class DaySales:
    day: date
    orders: int
    revenue_cents: int


@dataclass(frozen=True)
class SalesSummary:
    periods: list[PeriodSales]
    days: list[DaySales]
    orders_this_month: int

    @property
    def peak_revenue_cents(self) -> int:
        return max((d.revenue_cents for d in self.days), default=0)


def sales_summary(*, now: datetime | None = None) -> SalesSummary:
    """Orders (not cancelled) and revenue (paid orders) today, in 7 and 30 days, per day, and
    orders this calendar month (the plan's limit).

    Days are the seller's (São Paulo) calendar days; "7 days" is today and the six before.
    One query, read from the ``mlorder_created_sales`` index alone: each order falls in its
    seller day by ``width_bucket`` over the days' starts (computed here, in the seller's zone),
    which costs far less per row than converting every timestamp to a local date.
    """
    today = seller_today(now)
    starts = {
        "today": today,
        "7d": today - timedelta(days=6),
        "30d": today - timedelta(days=CHART_DAYS - 1),
    }
    month_start = today.replace(day=1)
    first = min(starts["30d"], month_start)
    days_in_window = [first + timedelta(days=n) for n in range((today - first).days + 1)]
    # The starts of every day in the window and of tomorrow: bucket n (1-based) is day n - 1.
    bounds = [seller_day_start(day) for day in [*days_in_window, today + timedelta(days=1)]]
    rows = (
        MLOrder.objects.filter(date_created__gte=bounds[0], date_created__lt=bounds[-1])
        .exclude(status__in=NOT_SALES)
        .annotate(
            bucket=Func(
                "date_created",
                Value(bounds, output_field=ArrayField(DateTimeField())),
                function="width_bucket",
                output_field=IntegerField(),
            )
        )
        .values("bucket")
        .annotate(
            orders=Count("*"),
            revenue=Sum("total_cents", filter=Q(status=PAID), default=0),
        )
        .order_by()
    )
    per_day = {
        days_in_window[row["bucket"] - 1]: (int(row["orders"]), int(row["revenue"])) for row in rows
    }
    days = [
        DaySales(day, *per_day.get(day, (0, 0)))
        for day in (today - timedelta(days=offset) for offset in range(CHART_DAYS - 1, -1, -1))
    ]
    periods = [
        PeriodSales(
            key,
            sum(orders for day, (orders, _) in per_day.items() if day >= start),
            sum(revenue for day, (_, revenue) in per_day.items() if day >= start),
        )
        for key, start in starts.items()
    ]
    return SalesSummary(
        periods=periods,
        days=days,
        orders_this_month=sum(orders for day, (orders, _) in per_day.items() if day >= month_start),
    )


@dataclass(frozen=True)
class StoreCounts:
    items: int
    out_of_stock: int
    open_questions: int


def store_counts() -> StoreCounts:
    """Listings, listings out of stock (not closed) and unanswered questions.

    Each count reads an index alone: the smallest one on the items for all of them, and the
    partial ``mlitem_out_of_stock`` for the rest (one pass with ``FILTER`` over every row
    costs three times as much).
    """
    return StoreCounts(
        items=items_count(),
        out_of_stock=MLItem.objects.filter(OUT_OF_STOCK).count(),
        open_questions=MLQuestion.objects.filter(status=UNANSWERED).count(),
    )


def items_count() -> int:
    """Listings, whatever their status (the plan's item limit)."""
    return MLItem.objects.count()


def ml_accounts_count() -> int:
    """ML accounts connected or needing reconnection (the plan's account limit)."""
    return MLAccount.objects.exclude(status=MLAccountStatus.DISCONNECTED).count()


def orders_this_month(*, now: datetime | None = None) -> int:
    """Orders this calendar month of the seller's, sales only (the plan's monthly limit)."""
    month_start = seller_day_start(seller_today(now).replace(day=1))
    return (
        MLOrder.objects.filter(date_created__gte=month_start).exclude(status__in=NOT_SALES).count()
    )


def sync_run_latest() -> SyncRun | None:
    return SyncRun.objects.defer("cursor").order_by("-started_at").first()


def sync_run_last_success(*, kind: str | None = None) -> SyncRun | None:
    runs = SyncRun.objects.filter(status=SyncStatus.SUCCEEDED)
    if kind:
        runs = runs.filter(kind=kind)
    return runs.defer("cursor").order_by("-started_at").first()


# -- products ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProductFilters:
    q: str = ""
    status: str = ""
    stock: str = ""  # "in" | "out" | ""
    sort: str = "recent"


def products_filtered(
    *, filters: ProductFilters, fields: tuple[str, ...] = ITEM_LIST_FIELDS
) -> QuerySet[MLItem]:
    items = MLItem.objects.only(*fields)
    items = items_search(items, filters.q)
    if filters.status:
        items = items.filter(status=filters.status)
    if filters.stock == "in":
        items = items.filter(available_quantity__gt=0)
    elif filters.stock == "out":
        items = items.filter(available_quantity__lte=0)
    return items


def products_by_id(*, ids: list[str]) -> dict[str, MLItem]:
    """Listings by id, with the list's columns (a page's rows once its keys are known)."""
    return MLItem.objects.only(*ITEM_LIST_FIELDS).in_bulk(ids)


def product_get(*, item_id: str) -> MLItem | None:
    return MLItem.objects.filter(pk=item_id).first()


def product_questions(*, item_id: str, limit: int = 20) -> list[MLQuestion]:
    return list(
        MLQuestion.objects.filter(item_id=item_id).defer("raw").order_by("-date_created")[:limit]
    )


# -- orders --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OrderFilters:
    status: str = ""
    date_from: date | None = None
    date_to: date | None = None
    q: str = ""


def orders_filtered(*, filters: OrderFilters) -> QuerySet[MLOrder]:
    orders = MLOrder.objects.all()
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
    return MLOrder.objects.defer("raw").filter(pk=order_id).first()


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
)


def orders_for_export(*, filters: OrderFilters) -> Iterator[tuple[Any, ...]]:
    """Every matching order, newest first, read in chunks through a server-side cursor."""
    return (
        orders_filtered(filters=filters)
        .order_by("-date_created", "-id")
        .values_list(*EXPORT_COLUMNS)
        .iterator(chunk_size=2000)
    )


# -- questions -----------------------------------------------------------------------------------

QUESTION_LIST_FIELDS = (
    "id",
    "item_id",
    "text",
    "status",
    "date_created",
    "answer_text",
    "answer_date",
)


def questions_open() -> QuerySet[MLQuestion]:
    """Questions waiting for the seller's answer, with the list's columns."""
    return MLQuestion.objects.filter(status=UNANSWERED).only(*QUESTION_LIST_FIELDS)


def questions_answered_latest(*, limit: int = 10) -> list[MLQuestion]:
    return list(
        MLQuestion.objects.exclude(status=UNANSWERED)
        .only(*QUESTION_LIST_FIELDS)
        .order_by("-date_created")[:limit]
    )


def items_by_id(*, ids: set[str]) -> dict[str, MLItem]:
    """Title, link and picture of the listings ``ids`` (the questions' items)."""
    if not ids:
        return {}
    return {
        item.pk: item
        for item in MLItem.objects.filter(pk__in=ids).only("id", "title", "permalink", "thumbnail")
    }


def question_get(*, question_id: int) -> MLQuestion | None:
    return MLQuestion.objects.defer("raw").filter(pk=question_id).first()


# -- sync ----------------------------------------------------------------------------------------


def sync_runs(*, limit: int = 20) -> list[SyncRun]:
    return list(SyncRun.objects.defer("cursor").order_by("-started_at")[:limit])


def sync_run_running() -> SyncRun | None:
    return SyncRun.objects.filter(status=SyncStatus.RUNNING).defer("cursor").first()


NOTIFICATION_FIELDS = (
    "topic",
    "resource",
    "status",
    "arrived_at",
    "processed_at",
    "tries",
    "next_attempt_at",
    "last_error",
    "source",
)


def store_notifications(
    *, tenant: Tenant, status: str = "", limit: int = 50
) -> tuple[list[MLNotification], dict[str, int]]:
    """The store's latest ML notifications and how many it has in each state.

    Rows are the store's ML user's; a row already routed to another store (the ML user was
    connected elsewhere before) is not this store's.
    """
    if tenant.ml_user_id is None:
        return [], {}
    mine = MLNotification.objects.filter(ml_user_id=tenant.ml_user_id).filter(
        Q(tenant_id=tenant.pk) | Q(tenant__isnull=True)
    )
    by_status = {
        row["status"]: row["n"] for row in mine.values("status").annotate(n=Count("id")).order_by()
    }
    rows = mine.filter(status=status) if status else mine
    return list(rows.only(*NOTIFICATION_FIELDS).order_by("-arrived_at", "-id")[:limit]), by_status


@dataclass(frozen=True)
class PhaseProgress:
    kind: str
    done: int
    total: int | None

    @property
    def percent(self) -> int | None:
        if not self.total:
            return None
        return min(100, round(100 * self.done / self.total))


SYNC_PHASES = ("questions", "orders", "items")


def run_progress(run: SyncRun) -> list[PhaseProgress]:
    """Rows written against rows ML reported, per kind, for a run's progress bars."""
    counts = run.counts or {}
    totals = run.totals or {}
    return [
        PhaseProgress(
            kind=kind,
            done=int(counts.get(kind) or 0),
            total=int(totals[kind]) if isinstance(totals.get(kind), int) else None,
        )
        for kind in SYNC_PHASES
        if kind in counts or kind in totals
    ]
