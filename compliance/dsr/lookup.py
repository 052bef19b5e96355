"""Finding a buyer by the nickname staff or a seller were given: the features holding buyers'
data register a finder (the ML integration searches the store's orders and questions)."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from django_tenants.utils import tenant_context

from tenants.models import Tenant

# (nickname) -> ML buyer ids, run inside the store's schema.
BuyerFinder = Callable[[str], Iterable[int]]

_FINDERS: list[BuyerFinder] = []


def buyer_finder(find: BuyerFinder) -> BuyerFinder:
    """Register ``find`` (call from an app's ``personal_data`` module)."""
    _FINDERS.append(find)
    return find


def buyers_named(*, tenant: Tenant, nickname: str) -> set[int]:
    """The ML buyer ids known under ``nickname`` (any case) in ``tenant``'s stored data."""
    found: set[int] = set()
    with tenant_context(tenant):
        for find in _FINDERS:
            found.update(find(nickname))
    return found
