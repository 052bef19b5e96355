"""A store's sales figures in the seller's calendar days, and the counts its plan limits."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db.models import Count, DateTimeField, Func, IntegerField, Q, QuerySet, Sum, Value
from django.utils import timezone

from integrations.mercadolivre.accounts import accounts_counted
from integrations.mercadolivre.models import (
    MLAccount,
    MLItem,
    MLOrder,
    MLQuestion,
)
from integrations.mercadolivre.selectors.catalogue import UNANSWERED

SELLER_TZ = ZoneInfo(settings.PEEPERS_SELLER_TIME_ZONE)
CHART_DAYS = 30
# Orders that never became a sale: left out of order counts and revenue.
NOT_SALES = ("cancelled", "invalid")
PAID = "paid"
# Listings a buyer cannot buy for want of stock (a closed listing is not for sale anyway); the
# condition of the partial index ``mlitem_out_of_stock``.
OUT_OF_STOCK = Q(available_quantity__lte=0) & ~Q(status="closed")


def seller_day_start(day: date) -> datetime:
    """Midnight of ``day`` in the seller's time zone, as an aware datetime."""
    return datetime.combine(day, time.min, tzinfo=SELLER_TZ)


def seller_today(now: datetime | None = None) -> date:
    return timezone.localtime(now or timezone.now(), SELLER_TZ).date()


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


@dataclass(frozen=True)
class _Window:
    """The seller days a summary reads: today, the periods' first days, the month's first."""

    today: date
    starts: dict[str, date]
    month_start: date
    days: list[date]  # every day from the earliest start to today
    bounds: list[datetime]  # the starts of those days and of tomorrow

    @classmethod
    def at(cls, now: datetime | None) -> _Window:
        today = seller_today(now)
        starts = {
            "today": today,
            "7d": today - timedelta(days=6),
            "30d": today - timedelta(days=CHART_DAYS - 1),
        }
        month_start = today.replace(day=1)
        first = min(starts["30d"], month_start)
        days = [first + timedelta(days=n) for n in range((today - first).days + 1)]
        bounds = [seller_day_start(day) for day in [*days, today + timedelta(days=1)]]
        return cls(today=today, starts=starts, month_start=month_start, days=days, bounds=bounds)

    def rows(self, *by: str) -> QuerySet[MLOrder, dict[str, Any]]:
        """Orders and revenue per day (and per ``by``): bucket n (1-based) is day n - 1."""
        return (
            MLOrder.objects.filter(
                date_created__gte=self.bounds[0], date_created__lt=self.bounds[-1]
            )
            .exclude(status__in=NOT_SALES)
            .annotate(
                bucket=Func(
                    "date_created",
                    Value(self.bounds, output_field=ArrayField(DateTimeField())),
                    function="width_bucket",
                    output_field=IntegerField(),
                )
            )
            .values(*by, "bucket")
            .annotate(
                orders=Count("*"),
                revenue=Sum("total_cents", filter=Q(status=PAID), default=0),
            )
            .order_by()
        )

    def summary(self, rows: Iterable[dict[str, Any]]) -> SalesSummary:
        per_day = {
            self.days[row["bucket"] - 1]: (int(row["orders"]), int(row["revenue"])) for row in rows
        }
        today = self.today
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
            for key, start in self.starts.items()
        ]
        return SalesSummary(
            periods=periods,
            days=days,
            orders_this_month=sum(
                orders for day, (orders, _) in per_day.items() if day >= self.month_start
            ),
        )


def sales_summary(*, now: datetime | None = None) -> SalesSummary:
    """Orders (not cancelled) and revenue (paid orders) today, in 7 and 30 days, per day, and
    orders this calendar month (the plan's limit).

    Days are the seller's (São Paulo) calendar days; "7 days" is today and the six before.
    One query, read from the ``mlorder_created_sales`` index alone: each order falls in its
    seller day by ``width_bucket`` over the days' starts (computed here, in the seller's zone),
    which costs far less per row than converting every timestamp to a local date.
    """
    window = _Window.at(now)
    return window.summary(window.rows())


def _sales_by_account(
    window: _Window,
) -> tuple[dict[int | None, SalesSummary], SalesSummary]:
    """Each account's summary and the store's (every account's rows, and those of none, added
    up per day), from one grouped query."""
    rows: dict[int | None, list[dict[str, Any]]] = defaultdict(list)
    store: dict[int, dict[str, Any]] = {}
    for row in window.rows("account_id"):
        rows[row["account_id"]].append(row)
        day = store.setdefault(row["bucket"], {"bucket": row["bucket"], "orders": 0, "revenue": 0})
        day["orders"] += row["orders"]
        day["revenue"] += row["revenue"]
    per_account = {account_id: window.summary(each) for account_id, each in rows.items()}
    return per_account, window.summary(store.values())


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


def counts_by_account() -> dict[int | None, StoreCounts]:
    """``store_counts`` per account (by MLAccount pk; None for rows of no account), each count
    one grouped read of an index that holds the account; an account with none is absent."""
    items = _per_account(MLItem.objects.all())
    out_of_stock = _per_account(MLItem.objects.filter(OUT_OF_STOCK))
    open_questions = _per_account(MLQuestion.objects.filter(status=UNANSWERED))
    return {
        account_id: StoreCounts(
            items=items.get(account_id, 0),
            out_of_stock=out_of_stock.get(account_id, 0),
            open_questions=open_questions.get(account_id, 0),
        )
        for account_id in {*items, *out_of_stock, *open_questions}
    }


def _per_account(rows: QuerySet[Any]) -> dict[int | None, int]:
    return {
        row["account_id"]: int(row["n"])
        for row in rows.values("account_id").annotate(n=Count("*")).order_by()
    }


@dataclass(frozen=True)
class AccountFigures:
    """One account's share of the overview: its sales and its counts."""

    account: MLAccount
    sales: SalesSummary
    counts: StoreCounts


NO_COUNTS = StoreCounts(items=0, out_of_stock=0, open_questions=0)


@dataclass(frozen=True)
class OverviewFigures:
    """The store's sales and counts, and (when asked) each account's share of them."""

    sales: SalesSummary
    counts: StoreCounts
    by_account: list[AccountFigures]


def overview_figures(
    *, accounts: list[MLAccount], breakdown: bool, now: datetime | None = None
) -> OverviewFigures:
    """The overview's figures. With ``breakdown``, also each of ``accounts``' share (in their
    order), and the store's figures are added up from the same four grouped reads rather than
    read again; without it, ``sales_summary`` and ``store_counts`` (four ungrouped reads)."""
    if not breakdown:
        return OverviewFigures(sales_summary(now=now), store_counts(), [])
    window = _Window.at(now)
    sales, store_sales = _sales_by_account(window)
    counts = counts_by_account()
    no_sales = window.summary([])
    return OverviewFigures(
        sales=store_sales,
        counts=StoreCounts(
            items=sum(each.items for each in counts.values()),
            out_of_stock=sum(each.out_of_stock for each in counts.values()),
            open_questions=sum(each.open_questions for each in counts.values()),
        ),
        by_account=[
            AccountFigures(
                account=account,
                sales=sales.get(account.pk, no_sales),
                counts=counts.get(account.pk, NO_COUNTS),
            )
            for account in accounts
        ],
    )


def items_count() -> int:
    """Listings, whatever their status (the plan's item limit)."""
    return MLItem.objects.count()


def ml_accounts_count() -> int:
    """ML accounts connected or needing reconnection (the plan's account limit; a paused one
    takes no place)."""
    return accounts_counted().count()


def orders_this_month(*, now: datetime | None = None) -> int:
    """Orders this calendar month of the seller's, sales only (the plan's monthly limit)."""
    month_start = seller_day_start(seller_today(now).replace(day=1))
    return (
        MLOrder.objects.filter(date_created__gte=month_start).exclude(status__in=NOT_SALES).count()
    )
