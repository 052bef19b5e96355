"""``/api/v1/overview/``: the Overview page's figures, for integrators and dashboards of their own.

Sales today, in 7 and 30 days and per day (the seller's São Paulo days), the month's orders,
listings and stock-outs, open questions, the Mercado Livre connection and the last syncs; then
the same figures per Mercado Livre account the store holds (``accounts``), which add up to the
store's. The same selectors as the page, so the two never disagree.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from api.base import StoreApiView
from integrations.mercadolivre.selectors.accounts import accounts_listed
from integrations.mercadolivre.selectors.sales import (
    SalesSummary,
    overview_figures,
)
from integrations.mercadolivre.selectors.sync import (
    ml_account_current,
    sync_run_last_success,
    sync_run_latest,
)


class PeriodSerializer(serializers.Serializer[Any]):
    orders = serializers.IntegerField(
        help_text="Orders placed, cancelled and invalid ones left out."
    )
    revenue_cents = serializers.IntegerField(help_text="Totals of the paid orders, in centavos.")


class SalesSerializer(serializers.Serializer[Any]):
    today = PeriodSerializer()
    last_7_days = PeriodSerializer(help_text="Today and the six days before.")
    last_30_days = PeriodSerializer(help_text="Today and the 29 days before.")


class DaySerializer(serializers.Serializer[Any]):
    day = serializers.DateField()
    orders = serializers.IntegerField()
    revenue_cents = serializers.IntegerField()


class AccountSerializer(serializers.Serializer[Any]):
    ml_user_id = serializers.IntegerField()
    nickname = serializers.CharField()
    status = serializers.CharField(help_text="`active` or `needs_reconnection`.")
    connected_at = serializers.DateTimeField(allow_null=True)


class SyncSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    status = serializers.CharField()
    started_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(allow_null=True)


class AccountFiguresSerializer(serializers.Serializer[Any]):
    ml_user_id = serializers.IntegerField()
    nickname = serializers.CharField()
    status = serializers.CharField(
        help_text="`active`, `needs_reconnection`, `paused` or `disconnected` (its data kept)."
    )
    sales = SalesSerializer()
    orders_this_month = serializers.IntegerField()
    items = serializers.IntegerField()
    out_of_stock = serializers.IntegerField()
    open_questions = serializers.IntegerField()


class OverviewSerializer(serializers.Serializer[Any]):
    currency = serializers.CharField()
    sales = SalesSerializer()
    days = DaySerializer(many=True, help_text="The last 30 days, oldest first.")
    orders_this_month = serializers.IntegerField()
    items = serializers.IntegerField()
    out_of_stock = serializers.IntegerField(help_text="Listings not closed with nothing to sell.")
    open_questions = serializers.IntegerField()
    ml_account = AccountSerializer(
        allow_null=True, help_text="Null until Mercado Livre is connected."
    )
    last_sync = SyncSerializer(allow_null=True)
    last_successful_sync = SyncSerializer(allow_null=True)
    accounts = AccountFiguresSerializer(
        many=True,
        help_text="The same figures per Mercado Livre account the store holds, oldest "
        "connection first (disconnected ones too: their data is kept and counted above).",
    )


PERIOD_NAMES = {"today": "today", "7d": "last_7_days", "30d": "last_30_days"}


def _sales(summary: SalesSummary) -> dict[str, dict[str, int]]:
    return {
        PERIOD_NAMES[period.key]: {"orders": period.orders, "revenue_cents": period.revenue_cents}
        for period in summary.periods
    }


class OverviewView(StoreApiView):
    @extend_schema(
        summary="The store's sales, stock, questions and sync state",
        responses={200: OverviewSerializer},
        tags=["overview"],
    )
    def get(self, request: Request) -> Response:
        accounts = accounts_listed()
        figures = overview_figures(accounts=accounts, breakdown=bool(accounts))
        summary, counts = figures.sales, figures.counts
        body = OverviewSerializer(
            {
                "currency": "BRL",
                "sales": _sales(summary),
                "days": summary.days,
                "orders_this_month": summary.orders_this_month,
                "items": counts.items,
                "out_of_stock": counts.out_of_stock,
                "open_questions": counts.open_questions,
                "ml_account": ml_account_current(),
                "last_sync": sync_run_latest(),
                "last_successful_sync": sync_run_last_success(),
                "accounts": [
                    {
                        "ml_user_id": each.account.ml_user_id,
                        "nickname": each.account.nickname,
                        "status": each.account.status,
                        "sales": _sales(each.sales),
                        "orders_this_month": each.sales.orders_this_month,
                        "items": each.counts.items,
                        "out_of_stock": each.counts.out_of_stock,
                        "open_questions": each.counts.open_questions,
                    }
                    for each in figures.by_account
                ],
            }
        )
        return Response(body.data)
