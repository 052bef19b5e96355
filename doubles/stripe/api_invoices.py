"""``/v1/invoices`` (with ``create_preview``, ``pay``, ``void``...), ``/v1/invoiceitems`` and
``/v1/invoice_payments``.

Parse, call proration.py / collection.py / invoicing.py, render. Invoices are made by
subscriptions; ``create_preview`` takes the same ``items[0]`` change as a subscription update.
"""

from __future__ import annotations

from doubles.stripe.api_billing import plan_change_from
from doubles.stripe.collection import invoice_pay
from doubles.stripe.customers import payment_method_attach
from doubles.stripe.errors import InvalidRequest, ParameterMissing, ResourceMissing
from doubles.stripe.invoicing import invoice_mark_uncollectible, invoice_void
from doubles.stripe.params import Params
from doubles.stripe.proration import PRORATION_BEHAVIORS, preview
from doubles.stripe.render_money import invoice as invoice_json
from doubles.stripe.render_money import invoice_payments
from doubles.stripe.store import newest_first
from doubles.stripe.subscriptions import ENDED
from doubles.stripe.web import JSON, LIST_PARAMS, Call, Route

INVOICE_STATUSES = ("draft", "open", "paid", "uncollectible", "void")


# -- invoices --------------------------------------------------------------------------------


def invoice_get(call: Call) -> JSON:
    return call.respond(call.state.store.invoices.get(call.arg("id")))


def invoice_lines(call: Call) -> JSON:
    call.params.expect(*LIST_PARAMS)
    invoice = call.state.store.invoices.get(call.arg("id"))
    body = call.state.render(invoice)
    lines = body["lines"]
    assert isinstance(lines, dict)
    return lines


def invoice_list(call: Call) -> JSON:
    p = call.params
    p.expect(*LIST_PARAMS, "customer", "subscription", "status", "created", "collection_method")
    customer = p.opt_str("customer")
    subscription = p.opt_str("subscription")
    status = p.choice("status", INVOICE_STATUSES)
    records = newest_first(
        iter(call.state.store.invoices),
        lambda i: (
            (customer is None or i.customer == customer)
            and (subscription is None or i.subscription == subscription)
            and (status is None or i.status == status)
        ),
    )
    return call.list(records, "/v1/invoices")


def invoice_preview_post(call: Call) -> JSON:
    p = call.params
    p.expect("customer", "subscription", "subscription_details", "automatic_tax", "preview_mode")
    state = call.state
    customer = p.opt_str("customer")
    if customer is not None:
        state.store.customers.get(customer, param="customer")
    sub_id = p.opt_str("subscription")
    if sub_id is not None:
        sub = state.store.subscriptions.get(sub_id, param="subscription")
        if customer is not None and sub.customer != customer:
            raise InvalidRequest(
                f"Subscription {sub.id} does not belong to customer {customer}.",
                param="subscription",
            )
    elif customer is not None:
        live = [
            s for s in state.store.subscriptions if s.customer == customer and s.status not in ENDED
        ]
        if not live:
            raise InvalidRequest(
                f"No upcoming invoices for customer: {customer}", code="invoice_upcoming_none"
            )
        sub = live[-1]
    else:
        raise InvalidRequest(
            "Pass a customer or a subscription to preview its next invoice.", param="subscription"
        )
    details = p.sub("subscription_details") or Params({}, "subscription_details")
    details.expect("items", "proration_behavior", "proration_date")
    behavior = details.choice("proration_behavior", PRORATION_BEHAVIORS, "create_prorations")
    change = plan_change_from(
        state,
        sub,
        details.items("items"),
        behavior=behavior or "create_prorations",
        at=details.opt_int("proration_date"),
        param="subscription_details[items]",
    )
    upcoming = preview(state, sub, change)
    renderer = state.renderer
    return renderer.expand(invoice_json(renderer, upcoming, preview=True), call.expand_paths())


def invoice_pay_post(call: Call) -> JSON:
    p = call.params
    p.expect("payment_method", "paid_out_of_band", "off_session", "forgive", "source")
    state = call.state
    invoice = state.store.invoices.get(call.arg("id"))
    method = None
    source = p.opt_str("payment_method")
    if source:
        customer = state.store.customers.get(invoice.customer)
        method = payment_method_attach(state, source=source, customer=customer)
    invoice = invoice_pay(
        state,
        invoice,
        method=method,
        paid_out_of_band=p.bool("paid_out_of_band", False),
        off_session=p.bool("off_session", True),
    )
    return call.respond(invoice)


def invoice_void_post(call: Call) -> JSON:
    call.params.expect()
    invoice = call.state.store.invoices.get(call.arg("id"))
    invoice_void(call.state, invoice)
    return call.respond(invoice)


def invoice_uncollectible_post(call: Call) -> JSON:
    call.params.expect()
    invoice = call.state.store.invoices.get(call.arg("id"))
    invoice_mark_uncollectible(call.state, invoice)
    return call.respond(invoice)


# -- invoice items ---------------------------------------------------------------------------


def invoice_item_get(call: Call) -> JSON:
    return call.respond(call.state.store.invoice_items.get(call.arg("id")))


def invoice_item_list(call: Call) -> JSON:
    p = call.params
    p.expect(*LIST_PARAMS, "customer", "invoice", "pending", "created")
    customer = p.opt_str("customer")
    invoice = p.opt_str("invoice")
    pending = p.opt_bool("pending")
    records = newest_first(
        iter(call.state.store.invoice_items),
        lambda x: (
            (customer is None or x.customer == customer)
            and (invoice is None or x.invoice == invoice)
            and (pending is None or (x.invoice is None) == pending)
        ),
    )
    return call.list(records, "/v1/invoiceitems")


# -- invoice payments ------------------------------------------------------------------------


def invoice_payment_list(call: Call) -> JSON:
    """``GET /v1/invoice_payments``: by ``invoice``, or by the paying ``payment[payment_intent]``
    (how a charge leads back to the invoice it paid), newest first."""
    p = call.params
    p.expect(*LIST_PARAMS, "invoice", "payment", "status", "created")
    invoice_id = p.opt_str("invoice")
    intent: str | None = None
    payment = p.sub("payment")
    if payment is not None:
        payment.expect("type", "payment_intent", "payment_record")
        if payment.choice("type", ("payment_intent", "payment_record")) is None:
            raise ParameterMissing("payment[type]")
        intent = payment.opt_str("payment_intent")
    status = p.choice("status", ("canceled", "open", "paid"))
    invoices = newest_first(
        iter(call.state.store.invoices),
        lambda i: invoice_id is None or i.id == invoice_id,
    )
    found = [
        body
        for inv in invoices
        for body in invoice_payments(inv)
        if (intent is None or inv.payment_intent == intent)
        and (status is None or body["status"] == status)
    ]
    chosen, has_more = page_of(call, found)
    body: JSON = {
        "object": "list",
        "data": chosen,
        "has_more": has_more,
        "url": "/v1/invoice_payments",
    }
    return call.state.renderer.expand(body, call.expand_paths())


def invoice_payment_get(call: Call) -> JSON:
    wanted = call.arg("id")
    for inv in call.state.store.invoices:
        for body in invoice_payments(inv):
            if body["id"] == wanted:
                return call.state.renderer.expand(body, call.expand_paths())
    raise ResourceMissing("invoice_payment", wanted)


def page_of(call: Call, bodies: list[JSON]) -> tuple[list[JSON], bool]:
    limit = call.params.opt_int("limit") or 10
    after = call.params.opt_str("starting_after")
    ids = [b["id"] for b in bodies]
    if after is not None:
        if after not in ids:
            raise ResourceMissing("invoice_payment", after, param="starting_after")
        bodies = bodies[ids.index(after) + 1 :]
    return bodies[:limit], len(bodies) > limit


ROUTES = (
    Route("/v1/invoice_payments", ("GET",), invoice_payment_list, "api"),
    Route("/v1/invoice_payments/<id>", ("GET",), invoice_payment_get, "api"),
    Route("/v1/invoices", ("GET",), invoice_list, "api"),
    Route("/v1/invoices/create_preview", ("POST",), invoice_preview_post, "api"),
    Route("/v1/invoices/<id>", ("GET",), invoice_get, "api"),
    Route("/v1/invoices/<id>/lines", ("GET",), invoice_lines, "api"),
    Route("/v1/invoices/<id>/pay", ("POST",), invoice_pay_post, "api"),
    Route("/v1/invoices/<id>/void", ("POST",), invoice_void_post, "api"),
    Route("/v1/invoices/<id>/mark_uncollectible", ("POST",), invoice_uncollectible_post, "api"),
    Route("/v1/invoiceitems", ("GET",), invoice_item_list, "api"),
    Route("/v1/invoiceitems/<id>", ("GET",), invoice_item_get, "api"),
)
