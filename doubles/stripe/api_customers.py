"""``/v1/customers`` (with search) and ``/v1/payment_methods``: parse, call, render."""

from __future__ import annotations

from doubles.stripe.customers import (
    TEST_TOKENS,
    customer_create,
    customer_search,
    customer_update,
    payment_method_attach,
)
from doubles.stripe.errors import InvalidRequest, ResourceMissing
from doubles.stripe.store import newest_first, page
from doubles.stripe.web import JSON, LIST_PARAMS, Call, Route

CUSTOMER_FIELDS = ("email", "name", "description", "phone")
IGNORED_CUSTOMER_PARAMS = ("preferred_locales", "address", "tax_exempt", "shipping")


def customer_post(call: Call) -> JSON:
    p = call.params
    p.expect(
        *CUSTOMER_FIELDS, "metadata", "invoice_settings", "payment_method", *IGNORED_CUSTOMER_PARAMS
    )
    state = call.state
    customer = customer_create(
        state,
        email=p.opt_str("email") or None,
        name=p.opt_str("name") or None,
        description=p.opt_str("description") or None,
        phone=p.opt_str("phone") or None,
        metadata=p.metadata() or {},
    )
    source = p.opt_str("payment_method")
    if source:
        payment_method_attach(state, source=source, customer=customer)
    settings = p.sub("invoice_settings")
    if settings is not None:
        settings.expect("default_payment_method")
        default = settings.opt_str("default_payment_method")
        if default is not None:
            customer_update(
                state, customer, fields={}, metadata=None, default_payment_method=default
            )
    return call.respond(customer)


def customer_get(call: Call) -> JSON:
    return call.respond(call.state.store.customers.get(call.arg("id")))


def customer_patch(call: Call) -> JSON:
    p = call.params
    p.expect(*CUSTOMER_FIELDS, "metadata", "invoice_settings", *IGNORED_CUSTOMER_PARAMS)
    settings = p.sub("invoice_settings")
    default: str | None = None
    if settings is not None:
        settings.expect("default_payment_method")
        default = settings.opt_str("default_payment_method")
    customer = customer_update(
        call.state,
        call.state.store.customers.get(call.arg("id")),
        fields={name: p.opt_str(name) for name in CUSTOMER_FIELDS if p.has(name)},
        metadata=p.metadata(),
        default_payment_method=default,
    )
    return call.respond(customer)


def customer_list(call: Call) -> JSON:
    p = call.params
    p.expect(*LIST_PARAMS, "email", "created")
    email = p.opt_str("email")
    records = newest_first(
        iter(call.state.store.customers), lambda c: email is None or c.email == email
    )
    return call.list(records, "/v1/customers")


def customer_search_get(call: Call) -> JSON:
    p = call.params
    p.expect("query", "limit", "page")
    if p.opt_str("page"):
        # One page is all the emulator ever has: every search fits under the 100 limit.
        raise InvalidRequest("The emulator's search results have a single page.", param="page")
    found = customer_search(call.state, p.str("query"))
    chosen, has_more = page(
        found, limit=p.opt_int("limit"), starting_after=None, ending_before=None
    )
    renderer = call.state.renderer
    body: JSON = {
        "object": "search_result",
        "data": [renderer.render(c) for c in chosen],
        "has_more": has_more,
        "next_page": None,
        "url": "/v1/customers/search",
    }
    return renderer.expand(body, call.expand_paths())


def payment_method_attach_post(call: Call) -> JSON:
    p = call.params
    p.expect("customer")
    customer = call.state.store.customers.get(p.str("customer"), param="customer")
    method = payment_method_attach(call.state, source=call.arg("id"), customer=customer)
    return call.respond(method)


def payment_method_detach_post(call: Call) -> JSON:
    call.params.expect()
    state = call.state
    method = state.store.payment_methods.get(call.arg("id"))
    if method.customer is None:
        raise InvalidRequest(
            f"The payment method {method.id} is not attached to a customer.", param="payment_method"
        )
    customer = state.store.customers.get(method.customer)
    if customer.default_payment_method == method.id:
        customer_update(state, customer, fields={}, metadata=None, default_payment_method="")
    method.customer = None
    state.emit("payment_method.detached", method)
    return call.respond(method)


def payment_method_get(call: Call) -> JSON:
    method_id = call.arg("id")
    if method_id in TEST_TOKENS:
        raise ResourceMissing("PaymentMethod", method_id)
    return call.respond(call.state.store.payment_methods.get(method_id))


def payment_method_list(call: Call) -> JSON:
    p = call.params
    p.expect(*LIST_PARAMS, "customer", "type")
    customer = p.opt_str("customer")
    if customer is not None:
        call.state.store.customers.get(customer, param="customer")
    kind = p.choice("type", ("card", "boleto"))
    records = newest_first(
        iter(call.state.store.payment_methods),
        lambda m: (customer is None or m.customer == customer) and (kind is None or m.type == kind),
    )
    return call.list(records, "/v1/payment_methods")


def customer_payment_methods(call: Call) -> JSON:
    p = call.params
    p.expect(*LIST_PARAMS, "type")
    customer = call.state.store.customers.get(call.arg("id"))
    kind = p.choice("type", ("card", "boleto"))
    records = newest_first(
        iter(call.state.store.payment_methods),
        lambda m: m.customer == customer.id and (kind is None or m.type == kind),
    )
    return call.list(records, f"/v1/customers/{customer.id}/payment_methods")


ROUTES = (
    Route("/v1/customers", ("POST",), customer_post, "api"),
    Route("/v1/customers", ("GET",), customer_list, "api"),
    Route("/v1/customers/search", ("GET",), customer_search_get, "api"),
    Route("/v1/customers/<id>", ("GET",), customer_get, "api"),
    Route("/v1/customers/<id>", ("POST",), customer_patch, "api"),
    Route("/v1/customers/<id>/payment_methods", ("GET",), customer_payment_methods, "api"),
    Route("/v1/payment_methods", ("GET",), payment_method_list, "api"),
    Route("/v1/payment_methods/<id>", ("GET",), payment_method_get, "api"),
    Route("/v1/payment_methods/<id>/attach", ("POST",), payment_method_attach_post, "api"),
    Route("/v1/payment_methods/<id>/detach", ("POST",), payment_method_detach_post, "api"),
)
