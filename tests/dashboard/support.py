"""Seeding a store's ML data directly (no sync), for pages that only read it."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.utils import timezone
from django_tenants.utils import tenant_context

from integrations.mercadolivre.models import (
    MLAccount,
    MLAccountStatus,
    MLItem,
    MLOrder,
    MLQuestion,
)
from integrations.mercadolivre.selectors.sales import seller_day_start, seller_today
from tenants.models import Tenant
from tests.support.ml import account_add


def account_connect(
    tenant: Tenant, *, ml_user_id: int, status: str = MLAccountStatus.ACTIVE
) -> MLAccount:
    Tenant.objects.filter(pk=tenant.pk).update(ml_user_id=ml_user_id)
    tenant.ml_user_id = ml_user_id
    return account_add(tenant, ml_user_id=ml_user_id, status=status)


def noon_today() -> datetime:
    """Today at noon in São Paulo: orders seeded a few minutes apart stay in today and this
    month whenever the test runs."""
    return seller_day_start(seller_today()) + timedelta(hours=12)


def items_seed(
    tenant: Tenant,
    count: int,
    *,
    prefix: str,
    start: int = 0,
    account: MLAccount | None = None,
    **fields: object,
) -> list[MLItem]:
    now = timezone.now()
    rows = [
        MLItem(
            id=f"MLB{prefix}{start + n:07d}",
            account=account,
            title=str(fields.get("title", f"{prefix} produto {start + n:05d}")),
            price_cents=int(fields.get("price_cents", 1000 + (start + n) * 7 % 50_000)),  # type: ignore[call-overload]
            currency="BRL",
            available_quantity=int(fields.get("available_quantity", (start + n) % 5)),  # type: ignore[call-overload]
            sold_quantity=(start + n) % 13,
            status=str(fields.get("status", "active")),
            permalink=f"https://produto.mercadolivre.com.br/MLB-{prefix}{start + n}",
            sku=f"SKU-{prefix}-{start + n}",
            last_updated=now - timedelta(minutes=start + n),
            raw={},
            synced_at=now,
        )
        for n in range(count)
    ]
    with tenant_context(tenant):
        return MLItem.objects.bulk_create(rows)


def orders_seed(
    tenant: Tenant,
    count: int,
    *,
    first_id: int,
    nickname: str,
    created: datetime | None = None,
    status: str = "paid",
    total_cents: int = 123_456,
    account: MLAccount | None = None,
) -> list[MLOrder]:
    moment = created or timezone.now()
    rows = [
        MLOrder(
            id=first_id + n,
            account=account,
            status=status,
            date_created=moment - timedelta(minutes=n),
            last_updated=moment,
            total_cents=total_cents,
            paid_cents=total_cents if status == "paid" else 0,
            currency="BRL",
            buyer_id=900_000 + n,
            buyer_nickname=nickname,
            items=[
                {
                    "item_id": f"MLB{first_id}",
                    "title": f"{nickname} item",
                    "quantity": 2,
                    "unit_price_cents": total_cents // 2,
                }
            ],
            payments=[{"id": first_id + n, "status": status, "amount_cents": total_cents}],
            raw={},
            synced_at=moment,
        )
        for n in range(count)
    ]
    with tenant_context(tenant):
        return MLOrder.objects.bulk_create(rows)


def questions_seed(
    tenant: Tenant,
    count: int,
    *,
    first_id: int,
    text: str,
    item_id: str,
    status: str = "UNANSWERED",
    account: MLAccount | None = None,
) -> list[MLQuestion]:
    now = timezone.now()
    rows = [
        MLQuestion(
            id=first_id + n,
            account=account,
            item_id=item_id,
            text=f"{text} {n}",
            status=status,
            date_created=now - timedelta(minutes=n),
            last_updated=now,
            raw={},
            synced_at=now,
        )
        for n in range(count)
    ]
    with tenant_context(tenant):
        return MLQuestion.objects.bulk_create(rows)
