"""What a store uses of its plan's limits, counted by the apps that own each figure.

Billing names no feature: each app registers its figures from its ``usage`` module
(``usage_provider_register("items", items_count)``), found at start-up like ``personal_data``
modules; the Billing page and ``/api/v1/subscription/`` read them all through ``usage_for``.
"""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import nullcontext
from datetime import datetime
from typing import Protocol

from django.db import connection
from django.utils import timezone
from django_tenants.utils import tenant_context

from tenants.models import Tenant

# The figures pages show beside a plan's limits (``Plan.api_calls_per_day``, ``max_items``,
# ``max_ml_accounts``; the month's orders are counted, not limited): the names providers
# register under and pages ask for.
API_CALLS_TODAY = "api_calls_today"
ITEMS = "items"
ORDERS_THIS_MONTH = "orders_this_month"
ML_ACCOUNTS = "ml_accounts"
PLAN_FIGURES = (API_CALLS_TODAY, ITEMS, ORDERS_THIS_MONTH, ML_ACCOUNTS)


class UsageProvider(Protocol):
    def __call__(self, *, tenant: Tenant, now: datetime) -> int: ...


_PROVIDERS: dict[str, UsageProvider] = {}


def usage_provider_register(name: str, provider: UsageProvider) -> None:
    """Count the figure ``name`` with ``provider``; one provider per figure."""
    registered = _PROVIDERS.get(name)
    if registered is not None and registered is not provider:
        raise ValueError(f"usage figure {name!r} already has a provider: {registered!r}")
    _PROVIDERS[name] = provider


def usage_figures() -> list[str]:
    return list(_PROVIDERS)


def usage_for(
    *, tenant: Tenant, names: Iterable[str] | None = None, now: datetime | None = None
) -> dict[str, int]:
    """The figures ``names`` (every registered one by default) of ``tenant``, by name.

    Providers read in the store's schema: the request's when it is this store's (no extra
    query), the store's own otherwise.
    """
    now = now or timezone.now()
    wanted = list(_PROVIDERS) if names is None else list(names)
    unknown = [name for name in wanted if name not in _PROVIDERS]
    if unknown:
        raise KeyError(f"no usage provider for {unknown}")
    here = getattr(connection, "schema_name", None) == tenant.schema_name
    with nullcontext() if here else tenant_context(tenant):
        return {name: _PROVIDERS[name](tenant=tenant, now=now) for name in wanted}
