"""Where the emulator keeps its objects: one typed collection per resource, seeded ids, paging.

Ids are drawn from a RNG seeded with ``EmulatorConfig.seed``, so the same sequence of requests
gives the same ids on every run (``cus_``, ``sub_``... like Stripe's, 24 characters after the
prefix).
"""

from __future__ import annotations

import random
import string
from collections.abc import Callable, Iterator
from typing import Generic, Protocol, TypeVar

from doubles.stripe.errors import InvalidRequest, ResourceMissing
from doubles.stripe.records import (
    Charge,
    CheckoutSession,
    Customer,
    Dispute,
    Event,
    Invoice,
    InvoiceItem,
    PaymentIntent,
    PaymentMethod,
    PortalConfiguration,
    PortalSession,
    Price,
    Product,
    Record,
    Refund,
    Subscription,
    TaxRate,
)

R = TypeVar("R", bound=Record)

_ALPHABET = string.ascii_letters + string.digits
ID_LENGTH = 24


class Collection(Generic[R]):
    """The records of one type, by id, in creation order."""

    def __init__(self, kind: str) -> None:
        self.kind = kind  # Stripe's word in "No such <kind>"
        self._records: dict[str, R] = {}

    def add(self, record: R) -> R:
        self._records[record.id] = record
        return record

    def get(self, object_id: str, *, param: str | None = "id") -> R:
        record = self._records.get(object_id)
        if record is None:
            raise ResourceMissing(self.kind, object_id, param=param)
        return record

    def discard(self, object_id: str) -> None:
        self._records.pop(object_id, None)

    def find(self, object_id: str | None) -> R | None:
        return None if object_id is None else self._records.get(object_id)

    def __contains__(self, object_id: object) -> bool:
        return object_id in self._records

    def __iter__(self) -> Iterator[R]:
        return iter(sorted(self._records.values(), key=lambda r: r.seq))

    def __len__(self) -> int:
        return len(self._records)

    def clear(self) -> None:
        self._records.clear()


class RecordSource(Protocol):
    """The read side of a ``Collection`` of any record type."""

    kind: str

    def find(self, object_id: str | None) -> Record | None: ...

    def __len__(self) -> int: ...

    def clear(self) -> None: ...


class Store:
    """Every collection, the id factory and the creation sequence."""

    def __init__(self, seed: int) -> None:
        self._seed = seed
        self._rng = random.Random(f"ids:{seed}")  # noqa: S311 - replayable ids, not secrets
        self._seq = 0
        self.invoice_number = 0
        self.products: Collection[Product] = Collection("product")
        self.prices: Collection[Price] = Collection("price")
        self.tax_rates: Collection[TaxRate] = Collection("tax_rate")
        self.customers: Collection[Customer] = Collection("customer")
        self.payment_methods: Collection[PaymentMethod] = Collection("PaymentMethod")
        self.checkout_sessions: Collection[CheckoutSession] = Collection("checkout.session")
        self.portal_sessions: Collection[PortalSession] = Collection("billing_portal.session")
        self.portal_configurations: Collection[PortalConfiguration] = Collection(
            "billing_portal.configuration"
        )
        self.subscriptions: Collection[Subscription] = Collection("subscription")
        self.invoices: Collection[Invoice] = Collection("invoice")
        self.invoice_items: Collection[InvoiceItem] = Collection("invoiceitem")
        self.payment_intents: Collection[PaymentIntent] = Collection("payment_intent")
        self.charges: Collection[Charge] = Collection("charge")
        self.refunds: Collection[Refund] = Collection("refund")
        self.disputes: Collection[Dispute] = Collection("dispute")
        self.events: Collection[Event] = Collection("event")

    def collections(self) -> dict[str, RecordSource]:
        """Name → collection, for counts, reset and expansion."""
        return {
            "products": self.products,
            "prices": self.prices,
            "tax_rates": self.tax_rates,
            "customers": self.customers,
            "payment_methods": self.payment_methods,
            "checkout_sessions": self.checkout_sessions,
            "portal_sessions": self.portal_sessions,
            "portal_configurations": self.portal_configurations,
            "subscriptions": self.subscriptions,
            "invoices": self.invoices,
            "invoice_items": self.invoice_items,
            "payment_intents": self.payment_intents,
            "charges": self.charges,
            "refunds": self.refunds,
            "disputes": self.disputes,
            "events": self.events,
        }

    def reset(self) -> None:
        self._rng = random.Random(f"ids:{self._seed}")  # noqa: S311
        self._seq = 0
        self.invoice_number = 0
        for collection in self.collections().values():
            collection.clear()

    def new_id(self, prefix: str) -> str:
        return prefix + "".join(self._rng.choice(_ALPHABET) for _ in range(ID_LENGTH))

    def next_seq(self) -> int:
        self._seq += 1
        return self._seq

    def lookup(self, object_id: str) -> Record | None:
        """Any object by id, whatever its type (for ``expand[]``)."""
        for collection in self.collections().values():
            record = collection.find(object_id)
            if record is not None:
                return record
        return None


def page(
    records: list[R],
    *,
    limit: int | None,
    starting_after: str | None,
    ending_before: str | None,
) -> tuple[list[R], bool]:
    """One page of ``records`` (already newest first) and whether more follow, like Stripe."""
    size = 10 if limit is None else limit
    if not 1 <= size <= 100:
        raise InvalidRequest("limit must be between 1 and 100", param="limit")
    ids = [r.id for r in records]
    if starting_after is not None:
        if starting_after not in ids:
            raise ResourceMissing("object", starting_after, param="starting_after")
        rest = records[ids.index(starting_after) + 1 :]
        return rest[:size], len(rest) > size
    if ending_before is not None:
        if ending_before not in ids:
            raise ResourceMissing("object", ending_before, param="ending_before")
        before = records[: ids.index(ending_before)]
        return before[-size:], len(before) > size
    return records[:size], len(records) > size


def newest_first(records: Iterator[R] | list[R], keep: Callable[[R], bool]) -> list[R]:
    return sorted((r for r in records if keep(r)), key=lambda r: r.seq, reverse=True)
