"""Deterministic sandbox data: sellers, items, orders, shipments and questions from a seed.

Everything comes from one ``random.Random(seed)`` and a calendar (never the wall clock), so two
servers with the same seed, sizes and calendar serve identical JSON, byte for byte. The default
calendar is fixed (EPOCH .. DATA_END); one ending at an anchor moves the same draws to end there
and adds the seller's last month (``recent_add``) from a stream of its own.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from doubles.mercadolivre.records import (
    FIXED_CALENDAR,
    Address,
    Answer,
    Buyer,
    Calendar,
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

EPOCH = FIXED_CALENDAR.start
# Generated timestamps stay inside [EPOCH, DATA_END]; sandbox events move on from EVENT_CLOCK_START.
DATA_END = FIXED_CALENDAR.end
EVENT_CLOCK_START = datetime(2026, 11, 1, tzinfo=UTC)
FIRST_SELLER_ID = 2050442871
FIRST_ITEM_NUMBER = 3_800_000_000
FIRST_ORDER_ID = 2000010000000000
FIRST_SHIPMENT_ID = 44_100_000_000
FIRST_PAYMENT_ID = 91_000_000_000
FIRST_QUESTION_ID = 13_100_000_000
# Once ids follow the clock, a new id is at least its kind's first id plus this offset (beyond
# any generated id) plus the microseconds (items: milliseconds, so MLB and 11 digits) since
# EPOCH, so a sandbox restarted later never mints an id an earlier run handed out.
CLOCK_ID_OFFSET = 10**12
CLOCK_ITEM_OFFSET = 10**9
SAO_PAULO = ZoneInfo("America/Sao_Paulo")
RECENT_DAYS = 30
# A paid order's shipment before it leaves: (status, substatus).
AWAITING_SHIPMENT = ("ready_to_ship", "ready_to_print")


@dataclass(frozen=True)
class DatasetSize:
    sellers: int
    items: int
    orders: int
    questions: int


def calendar_ending(anchor: datetime) -> Calendar:
    """The fixed calendar's span, moved to end at ``anchor`` (an aware datetime)."""
    end = anchor.astimezone(UTC)
    return Calendar(start=end - (DATA_END - EPOCH), end=end)


def dataset_generate(*, seed: int, size: DatasetSize, anchor: datetime | None = None) -> Dataset:
    """The whole dataset for ``seed``; items, orders and questions are counted per seller.

    Without ``anchor`` it is dated on the fixed calendar. With one, the same draws are dated
    on a calendar ending at ``anchor``, plus each seller's recent activity; nothing is dated
    after ``anchor``.
    """
    rng = random.Random(seed)  # noqa: S311 - reproducible test data, not secrets
    calendar = FIXED_CALENDAR if anchor is None else calendar_ending(anchor)
    dataset = Dataset(calendar=calendar)
    dataset.buyers = [_buyer(rng) for _ in range(max(20, size.orders // 2))]
    seller_id = FIRST_SELLER_ID
    for index in range(size.sellers):
        seller = _seller(rng, index=index, seller_id=seller_id, calendar=calendar)
        dataset.sellers.append(seller)
        # Big steps: from the second seller on, ids overflow int32 as new ML users' ids do.
        seller_id += rng.randint(100_000_000, 150_000_000)
        items = [item_new(rng, dataset, seller=seller, number=n) for n in range(size.items)]
        if not items:
            continue
        for _ in range(size.orders):
            created = _moment(rng, calendar.start, calendar.end)
            order_new(rng, dataset, seller=seller, items=items, created=created)
        for _ in range(size.questions):
            question_new(rng, dataset, item=rng.choice(items), created=None)
    if anchor is not None:
        recent_add(dataset, seed=seed, size=size)
        for order in dataset.orders.values():
            # A payment a minute after an order of the calendar's last minute, say.
            order_dates_capped(dataset, order=order, end=calendar.end)
        # From here on ids follow the wall clock: Peepers keeps what it stored across restarts.
        dataset.ids_follow_clock = True
    return dataset


def recent_add(dataset: Dataset, *, seed: int, size: DatasetSize) -> None:
    """Each seller's last month up to the calendar's end, drawn from its own stream.

    A few orders a day over the last 30 days (Brazil's days), at least two paid ones today
    and some on each of the last six days; 3 to 5 unanswered questions of the last hours; two
    active listings sold out.
    """
    rng = random.Random(f"recent:{seed}")  # noqa: S311 - reproducible test data, not secrets
    end = dataset.calendar.end
    today = end.astimezone(SAO_PAULO).replace(hour=0, minute=0, second=0, microsecond=0)
    per_day = max(1, min(4, size.orders // 15))
    for seller in dataset.sellers:
        items = [i for i in dataset.items.values() if i.seller_id == seller.id]
        if not items:
            continue
        active = [i for i in items if i.status == "active"] or items
        for _ in range(2 + rng.randint(0, per_day)):
            # One draw however much of today has gone by, so that a sandbox started at another
            # hour serves the same records, only dated anew (randint's draws vary with its range).
            elapsed = (end - today.astimezone(UTC)) * rng.random()
            created = today.astimezone(UTC) + timedelta(seconds=int(elapsed.total_seconds()))
            _recent_order(rng, dataset, seller=seller, items=active, created=created, paid=True)
        for days_ago in range(1, RECENT_DAYS):
            day = (today - timedelta(days=days_ago)).astimezone(UTC)
            for _ in range(rng.randint(1 if days_ago < 7 else 0, per_day)):
                created = _moment(rng, day, day + timedelta(days=1, seconds=-1))
                _recent_order(rng, dataset, seller=seller, items=active, created=created)
        for _ in range(rng.randint(3, 5)):
            asked = end - timedelta(seconds=rng.randint(60, 4 * 3600))
            question_new(rng, dataset, item=rng.choice(active), created=asked)
        in_stock = [i for i in items if i.status == "active" and i.available_quantity > 0]
        for item in rng.sample(in_stock, k=min(2, len(in_stock))):
            item.sold_quantity = item.initial_quantity
            item.available_quantity = 0
            item.last_updated = max(item.last_updated, end - timedelta(hours=rng.randint(1, 48)))


def _recent_order(
    rng: random.Random,
    dataset: Dataset,
    *,
    seller: Seller,
    items: list[Item],
    created: datetime,
    paid: bool = False,
) -> None:
    status = "paid" if paid else rng.choices(("paid", "confirmed", "cancelled"), (80, 8, 12))[0]
    order = order_new(rng, dataset, seller=seller, items=items, created=created, status=status)
    if created > dataset.calendar.end - timedelta(days=2):
        shipment_not_sent_yet(dataset, order=order)


def shipment_not_sent_yet(dataset: Dataset, *, order: Order) -> None:
    """A paid order bought moments ago waits to be shipped (no tracking number yet)."""
    if not order.is_paid:
        return
    shipment = dataset.shipments[order.shipment_id]
    shipment.status, shipment.substatus = AWAITING_SHIPMENT
    shipment.tracking_number = None
    order.tags = _order_tags(order.status)


def order_dates_capped(dataset: Dataset, *, order: Order, end: datetime) -> None:
    """``order``, its payments and its shipment dated no later than ``end``."""
    order.date_closed = None if order.date_closed is None else min(order.date_closed, end)
    order.date_last_updated = min(order.date_last_updated, end)
    for payment in order.payments:
        payment.date_created = min(payment.date_created, end)
        if payment.date_approved is not None:
            payment.date_approved = min(payment.date_approved, end)
    shipment = dataset.shipments[order.shipment_id]
    shipment.last_updated = min(shipment.last_updated, end)


def _id_next(
    dataset: Dataset,
    *,
    last: int,
    step: int,
    first: int,
    offset: int = CLOCK_ID_OFFSET,
    unit: timedelta = timedelta(microseconds=1),
) -> int:
    """The id after ``last``: ``step`` further, or floored by the wall clock once ids follow it."""
    if not dataset.ids_follow_clock:
        return last + step
    return max(last + 1, first + offset + (datetime.now(UTC) - EPOCH) // unit)


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


def _seller(rng: random.Random, *, index: int, seller_id: int, calendar: Calendar) -> Seller:
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
        registration_date=calendar.start - timedelta(days=rng.randint(200, 3000)),
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
    calendar = dataset.calendar
    created = _moment(rng, calendar.start, calendar.start + timedelta(days=240))
    last_id = next(reversed(dataset.items), None)
    item_number = _id_next(
        dataset,
        last=FIRST_ITEM_NUMBER if last_id is None else int(last_id.removeprefix("MLB")),
        step=rng.randint(1, 5_000),
        first=FIRST_ITEM_NUMBER,
        offset=CLOCK_ITEM_OFFSET,
        unit=timedelta(milliseconds=1),
    )
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
        last_updated=min(calendar.end, created + timedelta(seconds=rng.randint(0, 60 * 86400))),
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
    # Orders made by sandbox events (after the calendar's end) start with
    # date_last_updated = settled.
    horizon = max(dataset.calendar.end, settled)
    last_updated = min(horizon, settled + timedelta(seconds=rng.randint(0, 20 * 86400)))
    order_id = _id_next(
        dataset,
        last=next(reversed(dataset.orders), FIRST_ORDER_ID - 1),
        step=rng.randint(1, 9_999),
        first=FIRST_ORDER_ID,
    )
    shipment_id = _id_next(
        dataset,
        last=next(reversed(dataset.shipments), FIRST_SHIPMENT_ID - 1),
        step=rng.randint(1, 999),
        first=FIRST_SHIPMENT_ID,
    )
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
    dataset.last_payment_id = _id_next(
        dataset,
        last=max(dataset.last_payment_id, FIRST_PAYMENT_ID),
        step=rng.randint(1, 999),
        first=FIRST_PAYMENT_ID,
    )
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
        status, substatus = rng.choice((AWAITING_SHIPMENT, ("shipped", None), ("delivered", None)))
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
    calendar = dataset.calendar
    when = created or _moment(rng, calendar.start, calendar.end - timedelta(days=3))
    answer = None
    if created is None and rng.random() < 0.6:
        answered_at = when + timedelta(seconds=rng.randint(600, 2 * 86400))
        answer = Answer(
            text=rng.choice(ANSWER_TEMPLATES), status="ACTIVE", date_created=answered_at
        )
    question = Question(
        id=_id_next(
            dataset,
            last=next(reversed(dataset.questions), FIRST_QUESTION_ID - 1),
            step=rng.randint(1, 999),
            first=FIRST_QUESTION_ID,
        ),
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
