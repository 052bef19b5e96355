"""Seeding a store's buyers and reading dates as sellers see them, for data-subject tests."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone
from django_tenants.utils import tenant_context

from integrations.mercadolivre.models import MLOrder, MLQuestion
from tenants.models import Tenant

NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)


def seller_today() -> date:
    return timezone.now().astimezone(ZoneInfo(settings.PEEPERS_SELLER_TIME_ZONE)).date()


def ddmmyyyy(day: date) -> str:
    return day.strftime("%d/%m/%Y")


def days_ago(days: int) -> date:
    return seller_today() - timedelta(days=days)


def order_create(tenant: Tenant, *, order_id: int, buyer: int, nickname: str) -> None:
    with tenant_context(tenant):
        MLOrder.objects.create(
            id=order_id,
            status="paid",
            date_created=NOW,
            last_updated=NOW,
            total_cents=5000,
            paid_cents=5000,
            currency="BRL",
            buyer_id=buyer,
            buyer_nickname=nickname,
            items=[{"item_id": "MLB1", "quantity": 1}],
            payments=[{"id": order_id + 1, "payer_id": buyer}],
            raw={"id": order_id, "buyer": {"id": buyer, "nickname": nickname}},
            synced_at=NOW,
        )


def question_create(tenant: Tenant, *, question_id: int, buyer: int, nickname: str) -> None:
    with tenant_context(tenant):
        MLQuestion.objects.create(
            id=question_id,
            item_id="MLB1",
            text="Tem azul?",
            status="UNANSWERED",
            date_created=NOW,
            last_updated=NOW,
            from_id=buyer,
            raw={"from": {"id": buyer, "nickname": nickname}, "text": "Tem azul?"},
            synced_at=NOW,
        )
