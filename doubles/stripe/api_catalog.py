"""``/v1/products``, ``/v1/prices`` and ``/v1/tax_rates``: parse, call catalog.py, render."""

from __future__ import annotations

from doubles.stripe.catalog import (
    price_create,
    price_update,
    product_create,
    product_update,
    tax_rate_create,
    tax_rate_update,
)
from doubles.stripe.errors import InvalidRequest
from doubles.stripe.store import newest_first
from doubles.stripe.web import JSON, LIST_PARAMS, Call, Route

TAX_BEHAVIORS = ("inclusive", "exclusive", "unspecified")


def product_post(call: Call) -> JSON:
    p = call.params
    p.expect("name", "description", "metadata", "active", "id", "tax_code", "statement_descriptor")
    product = product_create(
        call.state,
        name=p.str("name"),
        description=p.opt_str("description") or None,
        active=p.bool("active", True),
        metadata=p.metadata() or {},
    )
    return call.respond(product)


def product_get(call: Call) -> JSON:
    return call.respond(call.state.store.products.get(call.arg("id")))


def product_patch(call: Call) -> JSON:
    p = call.params
    p.expect("name", "description", "metadata", "active")
    product = product_update(
        call.state,
        call.state.store.products.get(call.arg("id")),
        name=p.opt_str("name"),
        description=p.opt_str("description"),
        active=p.opt_bool("active"),
        metadata=p.metadata(),
    )
    return call.respond(product)


def product_list(call: Call) -> JSON:
    p = call.params
    p.expect(*LIST_PARAMS, "active")
    active = p.opt_bool("active")
    records = newest_first(
        iter(call.state.store.products), lambda x: active is None or x.active == active
    )
    return call.list(records, "/v1/products")


def price_post(call: Call) -> JSON:
    p = call.params
    p.expect(
        "product",
        "unit_amount",
        "currency",
        "recurring",
        "tax_behavior",
        "lookup_key",
        "transfer_lookup_key",
        "nickname",
        "metadata",
        "active",
        "billing_scheme",
    )
    currency = p.str("currency").lower()
    if currency != "brl":
        raise InvalidRequest("The emulator bills in BRL only (currency=brl).", param="currency")
    if p.choice("billing_scheme", ("per_unit",)) is None and p.has("billing_scheme"):
        raise InvalidRequest("Only per_unit prices are supported.", param="billing_scheme")
    recurring = p.sub("recurring")
    interval: str | None = None
    interval_count = 1
    if recurring is not None:
        recurring.expect("interval", "interval_count", "usage_type")
        interval = recurring.choice("interval", ("day", "week", "month", "year"))
        if interval is None:
            raise InvalidRequest(
                "Missing required param: recurring[interval].", param="recurring[interval]"
            )
        interval_count = recurring.opt_int("interval_count", minimum=1) or 1
        if recurring.choice("usage_type", ("licensed",)) is None and recurring.has("usage_type"):
            raise InvalidRequest(
                "Only licensed prices are supported.", param="recurring[usage_type]"
            )
    price = price_create(
        call.state,
        product=call.state.store.products.get(p.str("product"), param="product"),
        unit_amount=p.int("unit_amount", minimum=0),
        currency=currency,
        interval=interval,
        interval_count=interval_count,
        tax_behavior=p.choice("tax_behavior", TAX_BEHAVIORS, "unspecified") or "unspecified",
        lookup_key=p.opt_str("lookup_key"),
        transfer_lookup_key=p.bool("transfer_lookup_key", False),
        nickname=p.opt_str("nickname") or None,
        active=p.bool("active", True),
        metadata=p.metadata() or {},
    )
    return call.respond(price)


def price_get(call: Call) -> JSON:
    return call.respond(call.state.store.prices.get(call.arg("id")))


def price_patch(call: Call) -> JSON:
    p = call.params
    p.expect("active", "metadata", "lookup_key", "transfer_lookup_key", "nickname", "tax_behavior")
    price = price_update(
        call.state,
        call.state.store.prices.get(call.arg("id")),
        active=p.opt_bool("active"),
        metadata=p.metadata(),
        lookup_key=p.opt_str("lookup_key"),
        transfer_lookup_key=p.bool("transfer_lookup_key", False),
        nickname=p.opt_str("nickname"),
        tax_behavior=p.choice("tax_behavior", TAX_BEHAVIORS),
    )
    return call.respond(price)


def price_list(call: Call) -> JSON:
    p = call.params
    p.expect(*LIST_PARAMS, "product", "active", "lookup_keys", "type", "currency", "recurring")
    product = p.opt_str("product")
    active = p.opt_bool("active")
    lookup_keys = p.str_list("lookup_keys")
    kind = p.choice("type", ("recurring", "one_time"))
    records = newest_first(
        iter(call.state.store.prices),
        lambda x: (
            (product is None or x.product == product)
            and (active is None or x.active == active)
            and (lookup_keys is None or x.lookup_key in lookup_keys)
            and (kind is None or (x.interval is not None) == (kind == "recurring"))
        ),
    )
    return call.list(records, "/v1/prices")


def tax_rate_post(call: Call) -> JSON:
    p = call.params
    p.expect(
        "display_name",
        "percentage",
        "inclusive",
        "country",
        "jurisdiction",
        "state",
        "description",
        "active",
        "metadata",
        "tax_type",
    )
    percentage = p.opt_float("percentage")
    if percentage is None:
        raise InvalidRequest("Missing required param: percentage.", param="percentage")
    if p.opt_bool("inclusive") is None:
        raise InvalidRequest("Missing required param: inclusive.", param="inclusive")
    rate = tax_rate_create(
        call.state,
        display_name=p.str("display_name"),
        percentage=percentage,
        inclusive=p.bool("inclusive", False),
        country=p.opt_str("country") or None,
        jurisdiction=p.opt_str("jurisdiction") or None,
        state_code=p.opt_str("state") or None,
        description=p.opt_str("description") or None,
        active=p.bool("active", True),
        metadata=p.metadata() or {},
    )
    return call.respond(rate)


def tax_rate_get(call: Call) -> JSON:
    return call.respond(call.state.store.tax_rates.get(call.arg("id")))


def tax_rate_patch(call: Call) -> JSON:
    p = call.params
    p.expect(
        "display_name", "description", "jurisdiction", "country", "state", "active", "metadata"
    )
    fields = {
        name: p.opt_str(name)
        for name in ("display_name", "description", "jurisdiction", "country", "state")
        if p.has(name)
    }
    rate = tax_rate_update(
        call.state,
        call.state.store.tax_rates.get(call.arg("id")),
        fields=fields,
        active=p.opt_bool("active"),
        metadata=p.metadata(),
    )
    return call.respond(rate)


def tax_rate_list(call: Call) -> JSON:
    p = call.params
    p.expect(*LIST_PARAMS, "active", "inclusive")
    active = p.opt_bool("active")
    inclusive = p.opt_bool("inclusive")
    records = newest_first(
        iter(call.state.store.tax_rates),
        lambda x: (
            (active is None or x.active == active)
            and (inclusive is None or x.inclusive == inclusive)
        ),
    )
    return call.list(records, "/v1/tax_rates")


ROUTES = (
    Route("/v1/products", ("POST",), product_post, "api"),
    Route("/v1/products", ("GET",), product_list, "api"),
    Route("/v1/products/<id>", ("GET",), product_get, "api"),
    Route("/v1/products/<id>", ("POST",), product_patch, "api"),
    Route("/v1/prices", ("POST",), price_post, "api"),
    Route("/v1/prices", ("GET",), price_list, "api"),
    Route("/v1/prices/<id>", ("GET",), price_get, "api"),
    Route("/v1/prices/<id>", ("POST",), price_patch, "api"),
    Route("/v1/tax_rates", ("POST",), tax_rate_post, "api"),
    Route("/v1/tax_rates", ("GET",), tax_rate_list, "api"),
    Route("/v1/tax_rates/<id>", ("GET",), tax_rate_get, "api"),
    Route("/v1/tax_rates/<id>", ("POST",), tax_rate_patch, "api"),
)
