"""The plan limits Mercado Livre data counts against: listings, the month's orders, accounts."""

from __future__ import annotations

from datetime import datetime

from billing.usage import ITEMS, ML_ACCOUNTS, ORDERS_THIS_MONTH, usage_provider_register
from integrations.mercadolivre.selectors.sales import (
    items_count,
    ml_accounts_count,
    orders_this_month,
)
from tenants.models import Tenant


def _items(*, tenant: Tenant, now: datetime) -> int:
    return items_count()


def _orders_this_month(*, tenant: Tenant, now: datetime) -> int:
    return orders_this_month(now=now)


def _ml_accounts(*, tenant: Tenant, now: datetime) -> int:
    return ml_accounts_count()


usage_provider_register(ITEMS, _items)
usage_provider_register(ORDERS_THIS_MONTH, _orders_this_month)
usage_provider_register(ML_ACCOUNTS, _ml_accounts)
