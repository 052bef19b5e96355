"""``/v1/checkout/sessions`` (subscription mode).

Parse, call checkout.py, render. The session's ``url`` is the emulator's hosted page
(``<base_url>/checkout/<id>``, pages.py). Payment methods are dynamic, as in the pinned API
version (``payment_method_types`` is no longer a parameter): the account offers card and boleto,
``allowed_payment_method_types`` filters that set and ``excluded_payment_method_types`` removes
from it; ``payment_method_configuration`` names a configuration (``pmc_…``).
"""

from __future__ import annotations

from doubles.stripe.checkout import SessionRequest, session_create, session_expire
from doubles.stripe.errors import InvalidRequest, ParameterMissing
from doubles.stripe.params import Params
from doubles.stripe.store import newest_first
from doubles.stripe.web import JSON, LIST_PARAMS, Call, Route

PAYMENT_METHOD_TYPES = ("card", "boleto")  # what the emulator's account has turned on
MISSING_PAYMENT_METHOD = ("pause", "cancel", "create_invoice")
SESSION_STATUSES = ("open", "complete", "expired")
# Accepted and without effect here: presentation, address and consent collection.
IGNORED_SESSION_PARAMS = (
    "locale",
    "billing_address_collection",
    "customer_update",
    "tax_id_collection",
    "consent_collection",
    "custom_text",
    "submit_type",
    "ui_mode",
)


def session_post(call: Call) -> JSON:
    p = call.params
    p.expect(
        "mode",
        "customer",
        "customer_email",
        "line_items",
        "success_url",
        "cancel_url",
        "client_reference_id",
        "metadata",
        "subscription_data",
        "allowed_payment_method_types",
        "excluded_payment_method_types",
        "payment_method_configuration",
        "payment_method_collection",
        "allow_promotion_codes",
        "expires_at",
        *IGNORED_SESSION_PARAMS,
    )
    if p.str("mode") != "subscription":
        raise InvalidRequest(
            "The emulator implements Checkout in subscription mode only (mode=subscription).",
            param="mode",
        )
    customer = p.opt_str("customer") or None
    customer_email = p.opt_str("customer_email") or None
    if customer is not None and customer_email is not None:
        raise InvalidRequest(
            "You may only specify one of these parameters: customer, customer_email.",
            param="customer_email",
        )
    items = p.items("line_items")
    if not items:
        raise ParameterMissing("line_items")
    if len(items) > 1:
        raise InvalidRequest(
            "The emulator's subscriptions have one item: send a single line_items[0].",
            param="line_items",
        )
    item = items[0]
    item.expect("price", "quantity")
    allowed = p.str_list("allowed_payment_method_types")
    excluded = p.str_list("excluded_payment_method_types")
    configuration = p.opt_str("payment_method_configuration") or None
    if configuration is not None and not configuration.startswith("pmc_"):
        raise InvalidRequest(
            f"No such payment method configuration: '{configuration}'",
            param="payment_method_configuration",
            code="resource_missing",
        )
    types = [
        kind
        for kind in PAYMENT_METHOD_TYPES
        if (allowed is None or kind in allowed) and kind not in (excluded or [])
    ]
    if not types:
        raise InvalidRequest(
            "None of the payment method types this session allows is available: the account "
            f"offers {', '.join(PAYMENT_METHOD_TYPES)}.",
            param="allowed_payment_method_types" if allowed is not None else None,
        )
    data = p.sub("subscription_data") or Params({}, "subscription_data")
    data.expect(
        "metadata", "trial_period_days", "default_tax_rates", "trial_settings", "description"
    )
    trial_days = data.opt_int("trial_period_days", minimum=1)
    missing = "create_invoice"
    settings = data.sub("trial_settings")
    if settings is not None:
        settings.expect("end_behavior")
        behavior = settings.sub("end_behavior") or Params({}, "end_behavior")
        behavior.expect("missing_payment_method")
        missing = behavior.choice("missing_payment_method", MISSING_PAYMENT_METHOD) or missing
    success_url = p.str("success_url")
    session = session_create(
        call.state,
        SessionRequest(
            customer=customer,
            customer_email=customer_email,
            price=item.str("price"),
            quantity=item.opt_int("quantity", minimum=1) or 1,
            success_url=success_url,
            cancel_url=p.opt_str("cancel_url") or None,
            client_reference_id=p.opt_str("client_reference_id") or None,
            metadata=p.metadata() or {},
            trial_period_days=trial_days,
            subscription_metadata=data.metadata() or {},
            default_tax_rates=data.str_list("default_tax_rates") or [],
            payment_method_types=types,
            allowed_payment_method_types=allowed,
            excluded_payment_method_types=excluded,
            payment_method_configuration=configuration,
            payment_method_collection=p.choice(
                "payment_method_collection", ("always", "if_required"), "always"
            )
            or "always",
            missing_payment_method=missing,
            allow_promotion_codes=p.bool("allow_promotion_codes", False),
            expires_at=p.opt_int("expires_at"),
        ),
    )
    return call.respond(session)


def session_get(call: Call) -> JSON:
    return call.respond(call.state.store.checkout_sessions.get(call.arg("id")))


def session_line_items(call: Call) -> JSON:
    call.params.expect(*LIST_PARAMS)
    session = call.state.store.checkout_sessions.get(call.arg("id"))
    return call.state.renderer.checkout_line_items(session)


def session_expire_post(call: Call) -> JSON:
    call.params.expect()
    session = call.state.store.checkout_sessions.get(call.arg("id"))
    return call.respond(session_expire(call.state, session))


def session_list(call: Call) -> JSON:
    p = call.params
    p.expect(*LIST_PARAMS, "customer", "status", "subscription", "payment_intent", "created")
    customer = p.opt_str("customer")
    status = p.choice("status", SESSION_STATUSES)
    subscription = p.opt_str("subscription")
    records = newest_first(
        iter(call.state.store.checkout_sessions),
        lambda s: (
            (customer is None or s.customer == customer)
            and (status is None or s.status == status)
            and (subscription is None or s.subscription == subscription)
        ),
    )
    return call.list(records, "/v1/checkout/sessions")


ROUTES = (
    Route("/v1/checkout/sessions", ("POST",), session_post, "api"),
    Route("/v1/checkout/sessions", ("GET",), session_list, "api"),
    Route("/v1/checkout/sessions/<id>", ("GET",), session_get, "api"),
    Route("/v1/checkout/sessions/<id>/line_items", ("GET",), session_line_items, "api"),
    Route("/v1/checkout/sessions/<id>/expire", ("POST",), session_expire_post, "api"),
)
