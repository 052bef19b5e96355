"""PaymentIntents, charges, refunds and disputes (read, plus ``POST /v1/refunds``) and events.

Parse, call payments.py, render. Payments themselves are made by invoices (collection.py);
disputes are opened by the admin (``POST /_emulator/dispute``), as a cardholder would.
"""

from __future__ import annotations

from collections.abc import Callable
from fnmatch import fnmatchcase

from doubles.stripe.errors import InvalidRequest
from doubles.stripe.params import Params
from doubles.stripe.payments import refund_create, refundable_charge
from doubles.stripe.store import newest_first
from doubles.stripe.web import JSON, LIST_PARAMS, Call, Route

REFUND_REASONS = ("duplicate", "fraudulent", "requested_by_customer")
RANGE_OPERATORS: dict[str, Callable[[int, int], bool]] = {
    "gt": lambda value, bound: value > bound,
    "gte": lambda value, bound: value >= bound,
    "lt": lambda value, bound: value < bound,
    "lte": lambda value, bound: value <= bound,
}


def created_filter(p: Params, key: str = "created") -> Callable[[int], bool]:
    """Stripe's ``created=<t>`` or ``created[gt|gte|lt|lte]=<t>`` as a predicate."""
    if not p.has(key):
        return lambda value: True
    bounds = p.sub(key) if not isinstance(p.raw(key), str) else None
    if bounds is None:
        moment = p.int(key)
        return lambda value: value == moment
    bounds.expect(*RANGE_OPERATORS)
    checks = [(RANGE_OPERATORS[op], bounds.int(op)) for op in sorted(bounds.keys())]
    return lambda value: all(check(value, bound) for check, bound in checks)


# -- payment intents and charges -------------------------------------------------------------


def payment_intent_get(call: Call) -> JSON:
    return call.respond(call.state.store.payment_intents.get(call.arg("id")))


def payment_intent_list(call: Call) -> JSON:
    p = call.params
    p.expect(*LIST_PARAMS, "customer", "created")
    customer = p.opt_str("customer")
    created = created_filter(p)
    records = newest_first(
        iter(call.state.store.payment_intents),
        lambda x: (customer is None or x.customer == customer) and created(x.created),
    )
    return call.list(records, "/v1/payment_intents")


def charge_get(call: Call) -> JSON:
    return call.respond(call.state.store.charges.get(call.arg("id")))


def charge_list(call: Call) -> JSON:
    p = call.params
    p.expect(*LIST_PARAMS, "customer", "payment_intent", "created")
    customer = p.opt_str("customer")
    intent = p.opt_str("payment_intent")
    created = created_filter(p)
    records = newest_first(
        iter(call.state.store.charges),
        lambda x: (
            (customer is None or x.customer == customer)
            and (intent is None or x.payment_intent == intent)
            and created(x.created)
        ),
    )
    return call.list(records, "/v1/charges")


# -- refunds and disputes --------------------------------------------------------------------


def refund_post(call: Call) -> JSON:
    p = call.params
    p.expect("charge", "payment_intent", "amount", "reason", "metadata", "instructions_email")
    state = call.state
    charge_id = p.opt_str("charge")
    intent_id = p.opt_str("payment_intent")
    if bool(charge_id) == bool(intent_id):
        raise InvalidRequest(
            "You must pass exactly one of these parameters: charge, payment_intent.",
            param="charge" if charge_id else "payment_intent",
        )
    if charge_id:
        charge = state.store.charges.get(charge_id, param="charge")
    else:
        intent = state.store.payment_intents.get(str(intent_id), param="payment_intent")
        charge = refundable_charge(state, intent)
    refund = refund_create(
        state,
        charge=charge,
        amount=p.opt_int("amount", minimum=1),
        reason=p.choice("reason", REFUND_REASONS),
        metadata=p.metadata() or {},
    )
    return call.respond(refund)


def refund_get(call: Call) -> JSON:
    return call.respond(call.state.store.refunds.get(call.arg("id")))


def refund_list(call: Call) -> JSON:
    p = call.params
    p.expect(*LIST_PARAMS, "charge", "payment_intent", "created")
    charge = p.opt_str("charge")
    intent = p.opt_str("payment_intent")
    created = created_filter(p)
    records = newest_first(
        iter(call.state.store.refunds),
        lambda x: (
            (charge is None or x.charge == charge)
            and (intent is None or x.payment_intent == intent)
            and created(x.created)
        ),
    )
    return call.list(records, "/v1/refunds")


def dispute_get(call: Call) -> JSON:
    return call.respond(call.state.store.disputes.get(call.arg("id")))


def dispute_list(call: Call) -> JSON:
    p = call.params
    p.expect(*LIST_PARAMS, "charge", "payment_intent", "created")
    charge = p.opt_str("charge")
    intent = p.opt_str("payment_intent")
    created = created_filter(p)
    records = newest_first(
        iter(call.state.store.disputes),
        lambda x: (
            (charge is None or x.charge == charge)
            and (intent is None or x.payment_intent == intent)
            and created(x.created)
        ),
    )
    return call.list(records, "/v1/disputes")


# -- events ----------------------------------------------------------------------------------


def event_get(call: Call) -> JSON:
    return call.respond(call.state.store.events.get(call.arg("id")))


def event_list(call: Call) -> JSON:
    """``type`` takes Stripe's ``*`` wildcard (``invoice.*``); ``types[]`` any of several."""
    p = call.params
    p.expect(*LIST_PARAMS, "type", "types", "created", "delivery_success")
    kind = p.opt_str("type")
    kinds = p.str_list("types")
    if kind and kinds:
        raise InvalidRequest("You may only specify one of these parameters: type, types.")
    patterns = kinds or ([kind] if kind else None)
    created = created_filter(p)
    delivered = p.opt_bool("delivery_success")
    records = newest_first(
        iter(call.state.store.events),
        lambda e: (
            (patterns is None or any(fnmatchcase(e.type, pattern) for pattern in patterns))
            and created(e.created)
            and (delivered is None or (e.pending_webhooks == 0) == delivered)
        ),
    )
    return call.list(records, "/v1/events")


ROUTES = (
    Route("/v1/payment_intents", ("GET",), payment_intent_list, "api"),
    Route("/v1/payment_intents/<id>", ("GET",), payment_intent_get, "api"),
    Route("/v1/charges", ("GET",), charge_list, "api"),
    Route("/v1/charges/<id>", ("GET",), charge_get, "api"),
    Route("/v1/refunds", ("POST",), refund_post, "api"),
    Route("/v1/refunds", ("GET",), refund_list, "api"),
    Route("/v1/refunds/<id>", ("GET",), refund_get, "api"),
    Route("/v1/disputes", ("GET",), dispute_list, "api"),
    Route("/v1/disputes/<id>", ("GET",), dispute_get, "api"),
    Route("/v1/events", ("GET",), event_list, "api"),
    Route("/v1/events/<id>", ("GET",), event_get, "api"),
)
