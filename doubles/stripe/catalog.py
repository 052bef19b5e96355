"""The catalogue: products, prices (with lookup keys) and tax rates."""

from __future__ import annotations

from doubles.stripe.errors import InvalidRequest
from doubles.stripe.params import metadata_merged
from doubles.stripe.records import Price, Product, TaxRate
from doubles.stripe.state import EmulatorState


def product_create(
    state: EmulatorState,
    *,
    name: str,
    description: str | None,
    active: bool,
    metadata: dict[str, str],
) -> Product:
    now = state.now()
    product = state.store.products.add(
        Product(
            id=state.new_id("prod_"),
            created=now,
            seq=state.next_seq(),
            name=name,
            description=description,
            active=active,
            metadata=metadata,
            updated=now,
        )
    )
    state.emit("product.created", product)
    return product


def product_update(
    state: EmulatorState,
    product: Product,
    *,
    name: str | None,
    description: str | None,
    active: bool | None,
    metadata: dict[str, str] | None,
) -> Product:
    before = state.render(product)
    if name:
        product.name = name
    if description is not None:
        product.description = description or None
    if active is not None:
        product.active = active
    product.metadata = metadata_merged(product.metadata, metadata)
    product.updated = state.now()
    state.emit_changes("product.updated", product, before)
    return product


def _lookup_key_claim(
    state: EmulatorState, key: str, *, transfer: bool, owner: Price | None
) -> None:
    """Lookup keys are unique among prices; ``transfer_lookup_key`` moves one over."""
    for price in state.store.prices:
        if price.lookup_key == key and price is not owner:
            if not transfer:
                raise InvalidRequest(
                    f"A price ({price.id}) already uses that lookup key.",
                    param="lookup_key",
                )
            before = state.render(price)
            price.lookup_key = None
            state.emit_changes("price.updated", price, before)


def price_create(
    state: EmulatorState,
    *,
    product: Product,
    unit_amount: int,
    currency: str,
    interval: str | None,
    interval_count: int,
    tax_behavior: str,
    lookup_key: str | None,
    transfer_lookup_key: bool,
    nickname: str | None,
    active: bool,
    metadata: dict[str, str],
) -> Price:
    if lookup_key:
        _lookup_key_claim(state, lookup_key, transfer=transfer_lookup_key, owner=None)
    price = state.store.prices.add(
        Price(
            id=state.new_id("price_"),
            created=state.now(),
            seq=state.next_seq(),
            product=product.id,
            unit_amount=unit_amount,
            currency=currency,
            interval=interval,
            interval_count=interval_count,
            tax_behavior=tax_behavior,
            lookup_key=lookup_key or None,
            nickname=nickname,
            active=active,
            metadata=metadata,
        )
    )
    state.emit("price.created", price)
    return price


def price_update(
    state: EmulatorState,
    price: Price,
    *,
    active: bool | None,
    metadata: dict[str, str] | None,
    lookup_key: str | None,
    transfer_lookup_key: bool,
    nickname: str | None,
    tax_behavior: str | None,
) -> Price:
    fixed = price.tax_behavior != "unspecified"
    if tax_behavior is not None and fixed and tax_behavior != price.tax_behavior:
        raise InvalidRequest(
            "tax_behavior cannot be changed once it is set to inclusive or exclusive.",
            param="tax_behavior",
        )
    before = state.render(price)
    if lookup_key is not None:
        if lookup_key:
            _lookup_key_claim(state, lookup_key, transfer=transfer_lookup_key, owner=price)
        price.lookup_key = lookup_key or None
    if active is not None:
        price.active = active
    if nickname is not None:
        price.nickname = nickname or None
    if tax_behavior is not None:
        price.tax_behavior = tax_behavior
    price.metadata = metadata_merged(price.metadata, metadata)
    state.emit_changes("price.updated", price, before)
    return price


def tax_rate_create(
    state: EmulatorState,
    *,
    display_name: str,
    percentage: float,
    inclusive: bool,
    country: str | None,
    jurisdiction: str | None,
    state_code: str | None,
    description: str | None,
    active: bool,
    metadata: dict[str, str],
) -> TaxRate:
    if not 0 <= percentage <= 100:
        raise InvalidRequest("percentage must be between 0 and 100.", param="percentage")
    rate = state.store.tax_rates.add(
        TaxRate(
            id=state.new_id("txr_"),
            created=state.now(),
            seq=state.next_seq(),
            display_name=display_name,
            percentage=percentage,
            inclusive=inclusive,
            country=country,
            jurisdiction=jurisdiction,
            state=state_code,
            description=description,
            active=active,
            metadata=metadata,
        )
    )
    state.emit("tax_rate.created", rate)
    return rate


def tax_rate_update(
    state: EmulatorState,
    rate: TaxRate,
    *,
    fields: dict[str, str | None],
    active: bool | None,
    metadata: dict[str, str] | None,
) -> TaxRate:
    """Percentage and ``inclusive`` are fixed once created, as in Stripe."""
    before = state.render(rate)
    for name, value in fields.items():
        if name == "display_name" and not value:
            continue
        setattr(rate, name, value or None if name != "display_name" else value)
    if active is not None:
        rate.active = active
    rate.metadata = metadata_merged(rate.metadata, metadata)
    state.emit_changes("tax_rate.updated", rate, before)
    return rate
