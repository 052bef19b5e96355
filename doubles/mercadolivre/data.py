"""Deterministic sandbox data: sellers, items, orders, shipments and questions from a seed.

Everything comes from one ``random.Random(seed)`` and a fixed epoch (never the wall clock), so
two servers with the same seed and sizes serve identical JSON, byte for byte.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from doubles.mercadolivre.records import (
    Address,
    Answer,
    Buyer,
    Dataset,
    Item,
    Order,
    OrderLine,
    Payment,
    Question,
    Seller,
    Shipment,
)
from doubles.mercadolivre.vocabulary import (
    ANSWER_TEMPLATES,
    BRANDS,
    CITIES,
    COLORS,
    FIRST_NAMES,
    LAST_NAMES,
    LOGISTIC_TYPES,
    PAYMENT_METHODS,
    PRODUCTS,
    QUALIFIERS,
    QUESTION_TEMPLATES,
    STORES,
    STREETS,
    WARRANTIES,
)

EPOCH = datetime(2026, 1, 1, tzinfo=UTC)
# Generated timestamps stay inside [EPOCH, DATA_END]; sandbox events move on from EVENT_CLOCK_START.
DATA_END = datetime(2026, 10, 31, 23, 0, tzinfo=UTC)
EVENT_CLOCK_START = datetime(2026, 11, 1, tzinfo=UTC)
FIRST_SELLER_ID = 2050442871
FIRST_ITEM_NUMBER = 3_800_000_000
FIRST_ORDER_ID = 2000010000000000
FIRST_SHIPMENT_ID = 44_100_000_000
FIRST_PAYMENT_ID = 91_000_000_000
FIRST_QUESTION_ID = 13_100_000_000


@dataclass(frozen=True)
class DatasetSize:
    sellers: int
    items: int
    orders: int
    questions: int


def dataset_generate(*, seed: int, size: DatasetSize) -> Dataset:
    """The whole dataset for ``seed``; items, orders and questions are counted per seller."""
    rng = random.Random(seed)  # noqa: S311 - reproducible test data, not secrets
    dataset = Dataset()
    dataset.buyers = [_buyer(rng) for _ in range(max(20, size.orders // 2))]
    seller_id = FIRST_SELLER_ID
    for index in range(size.sellers):
        seller = _seller(rng, index=index, seller_id=seller_id)
        dataset.sellers.append(seller)
        # Big steps: from the second seller on, ids overflow int32 as new ML users' ids do.
        seller_id += rng.randint(100_000_000, 150_000_000)
        items = [item_new(rng, dataset, seller=seller, number=n) for n in range(size.items)]
        if not items:
            continue
        for _ in range(size.orders):
            created = _moment(rng, EPOCH, DATA_END)
            order_new(rng, dataset, seller=seller, items=items, created=created)
        for _ in range(size.questions):
            question_new(rng, dataset, item=rng.choice(items), created=None)
    return dataset


def _address(rng: random.Random) -> Address:
    city, state_id, state_name, zip_prefix = rng.choice(CITIES)
    return Address(
        street=rng.choice(STREETS),
        number=str(rng.randint(1, 2999)),
        city=city,
        state_id=state_id,
        state_name=state_name,
        zip_code=f"{zip_prefix}{rng.randint(0, 999999):06d}",
    )


def _seller(rng: random.Random, *, index: int, seller_id: int) -> Seller:
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    store = STORES[index % len(STORES)]
    brand = _ascii(BRANDS[index % len(BRANDS)]).upper()
    completed = rng.randint(50, 5000)
    return Seller(
        id=seller_id,
        nickname=f"{store}_{brand}_{index + 1}",
        first_name=first,
        last_name=last,
        email=f"{store.lower()}.{brand.lower()}{index + 1}@sandbox.peepers.test",
        registration_date=EPOCH - timedelta(days=rng.randint(200, 3000)),
        address=_address(rng),
        phone_area=f"{rng.randint(11, 99)}",
        phone_number=f"9{rng.randint(10_000_000, 99_999_999)}",
        identification_number=f"{rng.randint(10**13, 10**14 - 1)}",
        level_id=rng.choice(("5_green", "4_light_green", "3_yellow")),
        power_seller_status=rng.choice(("platinum", "gold", "silver", None)),
        transactions_completed=completed,
        transactions_canceled=rng.randint(0, completed // 20),
    )


def _buyer(rng: random.Random) -> Buyer:
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    return Buyer(
        id=rng.randint(1_000_000_000, 2_999_999_999),
        nickname=f"{_ascii(first)}{_ascii(last)}{rng.randint(10, 9999)}".upper(),
        first_name=first,
        last_name=last,
        address=_address(rng),
    )


def item_new(rng: random.Random, dataset: Dataset, *, seller: Seller, number: int) -> Item:
    """A new listing for ``seller``, added to ``dataset`` after its highest item id."""
    product, category_id, low, high = rng.choice(PRODUCTS)
    title = f"{product} {rng.choice(QUALIFIERS)} {rng.choice(BRANDS)} {rng.choice(COLORS)}"
    status = rng.choices(("active", "paused", "closed"), weights=(80, 12, 8))[0]
    initial = rng.randint(1, 500)
    sold = rng.randint(0, initial // 2)
    price_cents = rng.randint(low // 10, high // 10) * 10 - rng.choice((0, 0, 10))
    created = _moment(rng, EPOCH, EPOCH + timedelta(days=240))
    last_id = next(reversed(dataset.items), None)
    item_number = FIRST_ITEM_NUMBER if last_id is None else int(last_id.removeprefix("MLB"))
    item_number += rng.randint(1, 5_000)
    item = Item(
        id=f"MLB{item_number:010d}",
        seller_id=seller.id,
        title=title,
        category_id=category_id,
        price_cents=price_cents,
        initial_quantity=initial,
        available_quantity=0 if status == "closed" else initial - sold,
        sold_quantity=sold,
        listing_type_id=rng.choices(("gold_special", "gold_pro"), weights=(70, 30))[0],
        condition=rng.choices(("new", "used"), weights=(90, 10))[0],
        status=status,
        sku=None if rng.random() < 0.1 else f"PEP-{seller.id % 1000:03d}-{number + 1:04d}",
        free_shipping=price_cents >= 7900,
        logistic_type=rng.choice(LOGISTIC_TYPES),
        warranty=rng.choice(WARRANTIES),
        date_created=created,
        last_updated=min(DATA_END, created + timedelta(seconds=rng.randint(0, 60 * 86400))),
    )
    dataset.items[item.id] = item
    return item


def order_new(
    rng: random.Random,
    dataset: Dataset,
    *,
    seller: Seller,
    items: list[Item],
    created: datetime,
    status: str | None = None,
) -> Order:
    """A new order (with its shipment) of ``seller`` created at ``created``, added to dataset.

    ``status`` is drawn at random unless given.
    """
    buyer = rng.choice(dataset.buyers)
    lines = []
    for item in rng.sample(items, k=min(len(items), rng.choices((1, 2, 3), (80, 15, 5))[0])):
        quantity = rng.choices((1, 2, 3), weights=(75, 20, 5))[0]
        fee_rate = 0.16 if item.listing_type_id == "gold_pro" else 0.12
        lines.append(
            OrderLine(
                item_id=item.id,
                title=item.title,
                category_id=item.category_id,
                sku=item.sku,
                condition=item.condition,
                warranty=item.warranty,
                listing_type_id=item.listing_type_id,
                quantity=quantity,
                unit_price_cents=item.price_cents,
                sale_fee_cents=round(item.price_cents * fee_rate),
            )
        )
    status = (
        status
        or rng.choices(
            ("paid", "confirmed", "cancelled", "partially_refunded"), weights=(70, 10, 15, 5)
        )[0]
    )
    paid = status in ("paid", "partially_refunded") or (
        status == "cancelled" and rng.random() < 0.5
    )
    closed = created + timedelta(seconds=rng.randint(1, 120)) if paid else None
    settled = closed or created
    # Orders made by sandbox events (after DATA_END) start with date_last_updated = settled.
    horizon = max(DATA_END, settled)
    last_updated = min(horizon, settled + timedelta(seconds=rng.randint(0, 20 * 86400)))
    order_id = next(reversed(dataset.orders), FIRST_ORDER_ID - 1) + rng.randint(1, 9_999)
    shipment_id = next(reversed(dataset.shipments), FIRST_SHIPMENT_ID - 1) + rng.randint(1, 999)
    total = sum(line.unit_price_cents * line.quantity for line in lines)
    order = Order(
        id=order_id,
        seller_id=seller.id,
        buyer=buyer,
        status=status,
        date_created=created,
        date_closed=closed,
        date_last_updated=last_updated,
        lines=lines,
        payments=_payments(rng, dataset, status=status, amount=total, created=created, paid=paid),
        shipment_id=shipment_id,
        tags=_order_tags(status),
    )
    shipment = _shipment(rng, order, shipment_id)
    if shipment.status == "delivered":
        order.tags = ["paid", "delivered"]
    dataset.orders[order.id] = order
    dataset.shipments[shipment_id] = shipment
    return order


def _payments(
    rng: random.Random, dataset: Dataset, *, status: str, amount: int, created: datetime, paid: bool
) -> list[Payment]:
    if status == "confirmed":
        return []
    method, payment_type = rng.choice(PAYMENT_METHODS)
    payment_status, detail = {
        "paid": ("approved", "accredited"),
        "partially_refunded": ("approved", "partially_refunded"),
        "cancelled": ("refunded", "by_admin") if paid else ("cancelled", "expired"),
    }[status]
    dataset.last_payment_id = max(dataset.last_payment_id, FIRST_PAYMENT_ID) + rng.randint(1, 999)
    return [
        Payment(
            id=dataset.last_payment_id,
            status=payment_status,
            status_detail=detail,
            amount_cents=amount,
            payment_method_id=method,
            payment_type=payment_type,
            installments=rng.randint(1, 10) if payment_type == "credit_card" else 1,
            date_created=created,
            date_approved=created + timedelta(seconds=1) if paid else None,
        )
    ]


def order_pay(rng: random.Random, dataset: Dataset, *, order: Order, at: datetime) -> None:
    """A confirmed order gets paid at ``at``: approved payment, ``date_closed``, paid tags."""
    order.status = "paid"
    order.date_closed = at
    order.payments = _payments(
        rng, dataset, status="paid", amount=order.total_cents, created=at, paid=True
    )
    order.tags = _order_tags("paid")


def _order_tags(status: str) -> list[str]:
    if status in ("paid", "partially_refunded"):
        return ["paid", "not_delivered"]
    return ["not_delivered"]


def _shipment(rng: random.Random, order: Order, shipment_id: int) -> Shipment:
    if order.status == "cancelled":
        status, substatus = "cancelled", None
    elif order.is_paid:
        status, substatus = rng.choice(
            (("ready_to_ship", "ready_to_print"), ("shipped", None), ("delivered", None))
        )
    else:
        status, substatus = "pending", "buffered"
    tracked = status in ("shipped", "delivered")
    return Shipment(
        id=shipment_id,
        order_id=order.id,
        seller_id=order.seller_id,
        status=status,
        substatus=substatus,
        date_created=order.date_created,
        last_updated=order.date_last_updated,
        tracking_number=f"NM{rng.randint(100_000_000, 999_999_999)}BR" if tracked else None,
        logistic_type=rng.choice(LOGISTIC_TYPES),
        cost_cents=rng.randint(1500, 4500),
        weight_grams=rng.randint(100, 8000),
    )


def question_new(
    rng: random.Random, dataset: Dataset, *, item: Item, created: datetime | None
) -> Question:
    """A question on ``item`` (answered now and then when generated, never when ``created``)."""
    buyer = rng.choice(dataset.buyers)
    text = rng.choice(QUESTION_TEMPLATES).format(
        color=rng.choice(COLORS).lower(), city=buyer.address.city, qualifier=rng.choice(QUALIFIERS)
    )
    when = created or _moment(rng, EPOCH, DATA_END - timedelta(days=3))
    answer = None
    if created is None and rng.random() < 0.6:
        answered_at = when + timedelta(seconds=rng.randint(600, 2 * 86400))
        answer = Answer(
            text=rng.choice(ANSWER_TEMPLATES), status="ACTIVE", date_created=answered_at
        )
    question = Question(
        id=next(reversed(dataset.questions), FIRST_QUESTION_ID - 1) + rng.randint(1, 999),
        seller_id=item.seller_id,
        item_id=item.id,
        buyer_id=buyer.id,
        text=text,
        status="ANSWERED" if answer else "UNANSWERED",
        date_created=when,
        last_updated=answer.date_created if answer else when,
        answer=answer,
    )
    dataset.questions[question.id] = question
    return question


def _moment(rng: random.Random, start: datetime, end: datetime) -> datetime:
    return start + timedelta(seconds=rng.randint(0, int((end - start).total_seconds())))


def _ascii(text: str) -> str:
    table = str.maketrans("áâãàéêíóôõúçÁÂÃÀÉÊÍÓÔÕÚÇ", "aaaaeeioooucAAAAEEIOOOUC")
    return text.translate(table)
