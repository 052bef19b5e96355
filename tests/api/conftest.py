"""Fixtures of the store API tests: tokens, clients aimed at a store's host, rows in bulk."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client
from django_tenants.utils import tenant_context

from api.tokens import api_token_create
from core.redis import redis_client, redis_key
from integrations.mercadolivre.models import MLAccount, MLItem, MLOrder, MLQuestion
from tenants.models import Tenant
from tests.support.clients import owner_of

BASE = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _fresh_api_counters() -> Iterator[None]:
    """Rate-limit windows and "sync now" claims live in Redis: every test starts with none."""

    def clear() -> None:
        client = redis_client()
        for key in client.scan_iter(redis_key("tenant", "*", "api", "*")):
            client.delete(key)

    clear()
    yield
    clear()


def token_for(tenant: Tenant, **kwargs: object) -> str:
    """A new API token of ``tenant``'s owner: the secret."""
    with tenant_context(tenant):
        return api_token_create(user=owner_of(tenant), name="test", **kwargs).secret  # type: ignore[arg-type]


def api_client(tenant: Tenant, token: str | None = None) -> Client:
    headers = {"HTTP_HOST": tenant.get_primary_domain().domain}
    if token is not None:
        headers["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    return Client(**headers)


@pytest.fixture
def token_a(tenant_a: Tenant) -> str:
    return token_for(tenant_a)


@pytest.fixture
def token_b(tenant_b: Tenant) -> str:
    return token_for(tenant_b)


@pytest.fixture
def client_a(tenant_a: Tenant, token_a: str) -> Client:
    return api_client(tenant_a, token_a)


def make_items(
    tenant: Tenant,
    count: int,
    *,
    start: int = 0,
    title: str | None = None,
    status: str = "active",
    available_quantity: int | None = None,
    account: MLAccount | None = None,
) -> list[str]:
    rows = [
        MLItem(
            id=f"MLB{start + n:09d}",
            account=account,
            title=title if title is not None else f"Produto {start + n}",
            price_cents=1000 + n,
            currency="BRL",
            available_quantity=available_quantity if available_quantity is not None else n % 3,
            sold_quantity=n,
            status=status,
            last_updated=BASE + timedelta(minutes=(start + n) // 2),
            raw={},
            synced_at=BASE,
        )
        for n in range(count)
    ]
    with tenant_context(tenant):
        MLItem.objects.bulk_create(rows)
    return [row.id for row in rows]


def make_orders(
    tenant: Tenant,
    count: int,
    *,
    start: int = 1,
    status: str = "paid",
    account: MLAccount | None = None,
) -> list[int]:
    rows = [
        MLOrder(
            id=2_000_000_000 + start + n,
            account=account,
            status=status,
            date_created=BASE + timedelta(hours=start + n),
            last_updated=BASE + timedelta(hours=start + n),
            total_cents=5000 + n,
            paid_cents=5000 + n,
            currency="BRL",
            buyer_id=900 + n,
            buyer_nickname=f"COMPRADOR{n}",
            items=[
                {"item_id": "MLB1", "title": "Produto", "quantity": 1, "unit_price_cents": 5000}
            ],
            payments=[{"id": 1, "status": "approved", "amount_cents": 5000, "method": "pix"}],
            shipping_id=None,
            raw={},
            synced_at=BASE,
        )
        for n in range(count)
    ]
    with tenant_context(tenant):
        MLOrder.objects.bulk_create(rows)
    return [row.id for row in rows]


def make_questions(
    tenant: Tenant,
    count: int,
    *,
    start: int = 1,
    status: str = "UNANSWERED",
    account: MLAccount | None = None,
) -> list[int]:
    rows = [
        MLQuestion(
            id=3_000_000_000 + start + n,
            account=account,
            item_id="MLB1",
            text=f"Tem em estoque? {n}",
            status=status,
            date_created=BASE + timedelta(minutes=start + n),
            last_updated=BASE + timedelta(minutes=start + n),
            raw={},
            synced_at=BASE,
        )
        for n in range(count)
    ]
    with tenant_context(tenant):
        MLQuestion.objects.bulk_create(rows)
    return [row.id for row in rows]


# The ML sandbox (a real HTTP server) and its per-test reset, shared with the integration tests.
from tests.integrations.conftest import _fresh_ml_redis_state, ml_sandbox, sandbox  # noqa: E402

__all__ = ["_fresh_ml_redis_state", "ml_sandbox", "sandbox"]
