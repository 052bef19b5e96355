"""The sandbox's in-memory resources: sellers, items, orders, shipments and questions.

Plain mutable dataclasses; money is kept in cents and times as aware UTC datetimes so that the
JSON rendering (``render.py``) decides ML's formats in one place.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime


@dataclass(frozen=True)
class Address:
    street: str
    number: str
    city: str
    state_id: str
    state_name: str
    zip_code: str


@dataclass(frozen=True)
class Seller:
    id: int
    nickname: str
    first_name: str
    last_name: str
    email: str
    registration_date: datetime
    address: Address
    phone_area: str
    phone_number: str
    identification_number: str
    level_id: str
    power_seller_status: str | None
    transactions_completed: int
    transactions_canceled: int


@dataclass(frozen=True)
class Buyer:
    id: int
    nickname: str
    first_name: str
    last_name: str
    address: Address


@dataclass
class Item:
    id: str
    seller_id: int
    title: str
    category_id: str
    price_cents: int
    initial_quantity: int
    available_quantity: int
    sold_quantity: int
    listing_type_id: str
    condition: str
    status: str
    sku: str | None
    free_shipping: bool
    logistic_type: str
    warranty: str
    date_created: datetime
    last_updated: datetime


@dataclass(frozen=True)
class OrderLine:
    item_id: str
    title: str
    category_id: str
    sku: str | None
    condition: str
    warranty: str
    listing_type_id: str
    quantity: int
    unit_price_cents: int
    sale_fee_cents: int


@dataclass
class Payment:
    id: int
    status: str
    status_detail: str
    amount_cents: int
    payment_method_id: str
    payment_type: str
    installments: int
    date_created: datetime
    date_approved: datetime | None


@dataclass
class Order:
    id: int
    seller_id: int
    buyer: Buyer
    status: str
    date_created: datetime
    date_closed: datetime | None
    date_last_updated: datetime
    lines: list[OrderLine]
    payments: list[Payment]
    shipment_id: int
    tags: list[str]

    @property
    def total_cents(self) -> int:
        return sum(line.unit_price_cents * line.quantity for line in self.lines)

    @property
    def is_paid(self) -> bool:
        return self.status in PAID_ORDER_STATUSES

    @property
    def pack_id(self) -> int | None:
        """The cart this order was bought in, ``null`` for a lone order (gestiona-ventas).

        Derived from the id, not drawn from the generator, so adding it moved no other data:
        a quarter of the orders carry one.
        """
        return PACK_ID_BASE + self.id % 10**12 if self.id % 4 == 0 else None


PAID_ORDER_STATUSES = frozenset({"paid", "partially_refunded"})
PACK_ID_BASE = 2_000_005_000_000_000


@dataclass
class Shipment:
    id: int
    order_id: int
    seller_id: int
    status: str
    substatus: str | None
    date_created: datetime
    last_updated: datetime
    tracking_number: str | None
    logistic_type: str
    cost_cents: int
    weight_grams: int


@dataclass
class Answer:
    text: str
    status: str
    date_created: datetime


@dataclass
class Question:
    id: int
    seller_id: int
    item_id: str
    buyer_id: int
    text: str
    status: str
    date_created: datetime
    last_updated: datetime
    answer: Answer | None = None


@dataclass(frozen=True)
class Calendar:
    """The span generated data is dated in: nothing before ``start`` or after ``end``."""

    start: datetime
    end: datetime


# The default calendar: the whole test suite relies on its dates.
FIXED_CALENDAR = Calendar(
    start=datetime(2026, 1, 1, tzinfo=UTC), end=datetime(2026, 10, 31, 23, 0, tzinfo=UTC)
)


@dataclass
class Dataset:
    """Everything a seed generates; dicts keep generation order, which the searches rely on.

    ``ids_follow_clock``: ids minted from now on are floored by the wall clock (data.py).
    """

    sellers: list[Seller] = field(default_factory=list)
    items: dict[str, Item] = field(default_factory=dict)
    orders: dict[int, Order] = field(default_factory=dict)
    shipments: dict[int, Shipment] = field(default_factory=dict)
    questions: dict[int, Question] = field(default_factory=dict)
    buyers: list[Buyer] = field(default_factory=list)
    last_payment_id: int = 0
    calendar: Calendar = FIXED_CALENDAR
    ids_follow_clock: bool = False

    def seller(self, seller_id: int) -> Seller | None:
        return next((s for s in self.sellers if s.id == seller_id), None)
