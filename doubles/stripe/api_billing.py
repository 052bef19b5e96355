"""``/v1/subscriptions``: create, update (plan changes), cancel, resume, list.

Parse, call subscriptions.py, render. One item
per subscription: ``items[0]`` must name the existing item (``items[0][id]``) to change its
price or quantity; a request that would add a second item is refused.
"""

from __future__ import annotations

from doubles.stripe.clock import DAY
from doubles.stripe.customers import owned_method
from doubles.stripe.errors import InvalidRequest
from doubles.stripe.params import Params, metadata_merged
from doubles.stripe.proration import PRORATION_BEHAVIORS, PlanChange
from doubles.stripe.records import Subscription
from doubles.stripe.state import EmulatorState
from doubles.stripe.store import newest_first
from doubles.stripe.subscriptions import (
    ENDED,
    recurring_price,
    subscription_cancel,
    subscription_create,
    subscription_resume,
    subscription_update,
)
from doubles.stripe.web import JSON, LIST_PARAMS, Call, Route

SUBSCRIPTION_STATUSES = (
    "incomplete",
    "incomplete_expired",
    "trialing",
    "active",
    "past_due",
    "canceled",
    "unpaid",
    "paused",
    "all",
    "ended",
)
MISSING_PAYMENT_METHOD = ("pause", "cancel", "create_invoice")
# Stripe's default; the others need flows (pending updates, SetupIntents) the emulator lacks.
PAYMENT_BEHAVIORS = ("allow_incomplete",)


# -- subscriptions ---------------------------------------------------------------------------


def subscription_post(call: Call) -> JSON:
    p = call.params
    p.expect(
        "customer",
        "items",
        "trial_period_days",
        "trial_end",
        "trial_settings",
        "default_payment_method",
        "default_tax_rates",
        "metadata",
        "payment_behavior",
        "off_session",
        "collection_method",
        "proration_behavior",
    )
    state = call.state
    customer = state.store.customers.get(p.str("customer"), param="customer")
    items = p.items("items")
    if len(items) != 1:
        raise InvalidRequest(
            "The emulator's subscriptions have exactly one item: send items[0][price].",
            param="items",
        )
    item = items[0]
    item.expect("price", "quantity", "metadata")
    price = recurring_price(state, item.str("price"), param="items[0][price]")
    p.choice("payment_behavior", PAYMENT_BEHAVIORS)
    p.choice("collection_method", ("charge_automatically",))
    now = state.now()
    trial_end = _trial_end(p, now)
    default_method = p.opt_str("default_payment_method")
    if default_method:
        default_method = owned_method(
            state, customer, default_method, param="default_payment_method"
        )
    rates = p.str_list("default_tax_rates") or []
    for rate in rates:
        state.store.tax_rates.get(rate, param="default_tax_rates")
    sub = subscription_create(
        state,
        customer=customer,
        price=price,
        quantity=item.opt_int("quantity", minimum=1) or 1,
        trial_end=trial_end,
        default_payment_method=default_method or None,
        default_tax_rates=rates,
        metadata=p.metadata() or {},
        missing_payment_method=_missing_payment_method(p),
    )
    return call.respond(sub)


def _trial_end(p: Params, now: int) -> int | None:
    days = p.opt_int("trial_period_days", minimum=0)
    raw = p.opt_str("trial_end")
    if days is not None and raw:
        raise InvalidRequest(
            "You may only specify one of these parameters: trial_end, trial_period_days.",
            param="trial_end",
        )
    if days:
        return now + days * DAY
    if not raw or raw == "now":
        return None
    moment = p.int("trial_end")
    if moment <= now:
        raise InvalidRequest(
            "Invalid timestamp: must be an integer Unix timestamp in the future.", param="trial_end"
        )
    return moment


def _missing_payment_method(p: Params) -> str:
    settings = p.sub("trial_settings")
    if settings is None:
        return "create_invoice"
    settings.expect("end_behavior")
    behavior = settings.sub("end_behavior") or Params({}, "trial_settings[end_behavior]")
    behavior.expect("missing_payment_method")
    return behavior.choice("missing_payment_method", MISSING_PAYMENT_METHOD) or "create_invoice"


def subscription_get(call: Call) -> JSON:
    return call.respond(call.state.store.subscriptions.get(call.arg("id")))


def subscription_patch(call: Call) -> JSON:
    p = call.params
    p.expect(
        "items",
        "proration_behavior",
        "proration_date",
        "cancel_at_period_end",
        "cancellation_details",
        "metadata",
        "default_tax_rates",
        "default_payment_method",
        "description",
        "trial_end",
        "payment_behavior",
        "off_session",
    )
    state = call.state
    sub = state.store.subscriptions.get(call.arg("id"))
    p.choice("payment_behavior", PAYMENT_BEHAVIORS)
    behavior = p.choice("proration_behavior", PRORATION_BEHAVIORS, "create_prorations")
    change = plan_change_from(
        state,
        sub,
        p.items("items"),
        behavior=behavior or "create_prorations",
        at=p.opt_int("proration_date"),
        param="items",
    )
    trial_end = p.opt_str("trial_end")
    if trial_end and trial_end != "now":
        raise InvalidRequest(
            "The emulator can only end a trial now (trial_end=now).", param="trial_end"
        )
    metadata = p.metadata()
    sub = subscription_update(
        state,
        sub,
        change=change,
        cancel_at_period_end=p.opt_bool("cancel_at_period_end"),
        default_payment_method=p.opt_str("default_payment_method"),
        default_tax_rates=p.str_list("default_tax_rates"),
        metadata=None if metadata is None else metadata_merged(sub.metadata, metadata),
        cancellation_details=_cancellation_details(p),
        description=p.opt_str("description"),
        end_trial_now=trial_end == "now",
    )
    return call.respond(sub)


def plan_change_from(
    state: EmulatorState,
    sub: Subscription,
    items: list[Params],
    *,
    behavior: str,
    at: int | None,
    param: str,
) -> PlanChange | None:
    """``items[0][id|price|quantity]`` as a change of the single item, or ``None`` (shared
    with ``create_preview``'s ``subscription_details[items]``)."""
    if not items:
        return None
    if len(items) > 1:
        raise InvalidRequest(
            "The emulator's subscriptions have one item: change it through items[0].",
            param=param,
        )
    item = items[0]
    item.expect("id", "price", "quantity", "metadata", "deleted", "tax_rates")
    current = sub.items[0]
    item_id = item.opt_str("id")
    if item_id is None:
        raise InvalidRequest(
            f"Without {param}[0][id] this would add a second item; the emulator's subscriptions "
            f"have one (its id is {current.id}).",
            param=f"{param}[0][id]",
        )
    if item_id != current.id:
        raise InvalidRequest(
            f"Subscription item {item_id} does not belong to subscription {sub.id}.",
            param=f"{param}[0][id]",
        )
    if item.bool("deleted", False):
        raise InvalidRequest(
            "The emulator's subscriptions keep their single item; cancel the subscription instead.",
            param=f"{param}[0][deleted]",
        )
    price_id = item.opt_str("price") or current.price
    price = (
        state.store.prices.get(price_id)
        if price_id == current.price
        else recurring_price(state, price_id, param=f"{param}[0][price]")
    )
    return PlanChange(
        price=price,
        quantity=item.opt_int("quantity", minimum=1) or current.quantity,
        at=state.now() if at is None else at,
        behavior=behavior,
    )


def _cancellation_details(p: Params) -> dict[str, str | None] | None:
    details = p.sub("cancellation_details")
    if details is None:
        return None
    details.expect("comment", "feedback")
    return {
        name: details.opt_str(name) or None for name in ("comment", "feedback") if details.has(name)
    }


def subscription_delete(call: Call) -> JSON:
    p = call.params
    p.expect("invoice_now", "prorate", "cancellation_details")
    sub = subscription_cancel(
        call.state,
        call.state.store.subscriptions.get(call.arg("id")),
        invoice_now=p.bool("invoice_now", False),
        prorate=p.bool("prorate", False),
        cancellation_details=_cancellation_details(p),
    )
    return call.respond(sub)


def subscription_resume_post(call: Call) -> JSON:
    p = call.params
    p.expect("billing_cycle_anchor", "proration_behavior", "proration_date")
    p.choice("billing_cycle_anchor", ("now",))
    sub = subscription_resume(call.state, call.state.store.subscriptions.get(call.arg("id")))
    return call.respond(sub)


def subscription_list(call: Call) -> JSON:
    p = call.params
    p.expect(*LIST_PARAMS, "customer", "status", "price", "created", "collection_method")
    customer = p.opt_str("customer")
    status = p.choice("status", SUBSCRIPTION_STATUSES)
    price = p.opt_str("price")

    def keep(s: Subscription) -> bool:
        if customer is not None and s.customer != customer:
            return False
        if price is not None and all(item.price != price for item in s.items):
            return False
        if status is None:
            return s.status != "canceled"  # Stripe's default leaves out canceled ones
        if status == "ended":
            return s.status in ENDED
        return status == "all" or s.status == status

    records = newest_first(iter(call.state.store.subscriptions), keep)
    return call.list(records, "/v1/subscriptions")


ROUTES = (
    Route("/v1/subscriptions", ("POST",), subscription_post, "api"),
    Route("/v1/subscriptions", ("GET",), subscription_list, "api"),
    Route("/v1/subscriptions/<id>", ("GET",), subscription_get, "api"),
    Route("/v1/subscriptions/<id>", ("POST",), subscription_patch, "api"),
    Route("/v1/subscriptions/<id>", ("DELETE",), subscription_delete, "api"),
    Route("/v1/subscriptions/<id>/resume", ("POST",), subscription_resume_post, "api"),
)
