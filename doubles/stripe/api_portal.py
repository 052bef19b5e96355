"""``/v1/billing_portal/configurations`` (create, list, retrieve, update) and
``/v1/billing_portal/sessions``.

Parse, call portal.py, render. Features take Stripe's parameters (``features[subscription_update]
[products][0][prices][]``…); a feature not named keeps its current (or default) settings.
"""

from __future__ import annotations

from typing import Any

from doubles.stripe.errors import ParameterInvalid, ParameterMissing
from doubles.stripe.params import Params, metadata_merged
from doubles.stripe.portal import (
    configuration_create,
    configuration_update,
    portal_session_create,
)
from doubles.stripe.store import newest_first
from doubles.stripe.web import JSON, LIST_PARAMS, Call, Route

PORTAL_FLOWS = ("subscription_cancel", "subscription_update", "payment_method_update")
PRORATION = ("always_invoice", "create_prorations", "none")
CUSTOMER_UPDATES = ("address", "email", "name", "phone", "shipping", "tax_id")
SUBSCRIPTION_UPDATES = ("price", "promotion_code", "quantity")
CANCELLATION_REASONS = (
    "customer_service",
    "low_quality",
    "missing_features",
    "other",
    "switched_service",
    "too_complex",
    "too_expensive",
    "unused",
)
CONFIGURATION_PARAMS = (
    "features",
    "business_profile",
    "default_return_url",
    "login_page",
    "metadata",
    "name",
)


def _choices(p: Params, key: str, allowed: tuple[str, ...]) -> list[str] | None:
    values = p.str_list(key)
    for value in values or []:
        if value not in allowed:
            raise ParameterInvalid(
                p.name(key), f"Invalid {p.name(key)}: must be one of {', '.join(allowed)}"
            )
    return values


def _set(settings: dict[str, Any], key: str, value: object) -> None:
    if value is not None:
        settings[key] = value


def _features(p: Params | None) -> dict[str, dict[str, Any]]:
    """The features named in the request, each with only the settings it gives."""
    if p is None:
        return {}
    p.expect(
        "customer_update",
        "invoice_history",
        "payment_method_update",
        "subscription_cancel",
        "subscription_pause",
        "subscription_update",
    )
    found: dict[str, dict[str, Any]] = {}
    for name in ("invoice_history", "payment_method_update", "subscription_pause"):
        sub = p.sub(name)
        if sub is not None:
            sub.expect("enabled", "payment_method_configuration")
            found[name] = {}
            _set(found[name], "enabled", sub.opt_bool("enabled"))
    customer = p.sub("customer_update")
    if customer is not None:
        customer.expect("enabled", "allowed_updates")
        found["customer_update"] = {}
        _set(found["customer_update"], "enabled", customer.opt_bool("enabled"))
        allowed = _choices(customer, "allowed_updates", CUSTOMER_UPDATES)
        _set(found["customer_update"], "allowed_updates", allowed)
    cancel = p.sub("subscription_cancel")
    if cancel is not None:
        cancel.expect("enabled", "mode", "proration_behavior", "cancellation_reason")
        settings = found["subscription_cancel"] = {}
        _set(settings, "enabled", cancel.opt_bool("enabled"))
        _set(settings, "mode", cancel.choice("mode", ("at_period_end", "immediately")))
        _set(settings, "proration_behavior", cancel.choice("proration_behavior", PRORATION))
        reason = cancel.sub("cancellation_reason")
        if reason is not None:
            reason.expect("enabled", "options")
            settings["cancellation_reason"] = {
                "enabled": reason.bool("enabled", False),
                "options": _choices(reason, "options", CANCELLATION_REASONS) or [],
            }
    update = p.sub("subscription_update")
    if update is not None:
        update.expect(
            "enabled",
            "default_allowed_updates",
            "products",
            "proration_behavior",
            "billing_cycle_anchor",
            "trial_update_behavior",
        )
        settings = found["subscription_update"] = {}
        _set(settings, "enabled", update.opt_bool("enabled"))
        allowed = _choices(update, "default_allowed_updates", SUBSCRIPTION_UPDATES)
        _set(settings, "default_allowed_updates", allowed)
        _set(settings, "proration_behavior", update.choice("proration_behavior", PRORATION))
        anchor = update.choice("billing_cycle_anchor", ("now", "unchanged"))
        _set(settings, "billing_cycle_anchor", anchor)
        trial = update.choice("trial_update_behavior", ("continue_trial", "end_trial"))
        _set(settings, "trial_update_behavior", trial)
        if update.has("products"):
            products = []
            for item in update.items("products"):
                item.expect("product", "prices", "adjustable_quantity")
                products.append(
                    {
                        "adjustable_quantity": {"enabled": False, "maximum": None, "minimum": 1},
                        "prices": item.str_list("prices") or [],
                        "product": item.str("product"),
                    }
                )
            settings["products"] = products
    return found


def _business_profile(p: Params | None) -> dict[str, object]:
    if p is None:
        return {}
    p.expect("headline", "privacy_policy_url", "terms_of_service_url")
    return {key: p.opt_str(key) or None for key in sorted(p.keys())}


def configuration_post(call: Call) -> JSON:
    p = call.params
    p.expect(*CONFIGURATION_PARAMS)
    features = _features(p.sub("features"))
    if not features:
        raise ParameterMissing("features")
    login = p.sub("login_page")
    if login is not None:
        login.expect("enabled")
    configuration = configuration_create(
        call.state,
        features=features,
        business_profile=_business_profile(p.sub("business_profile")),
        default_return_url=p.opt_str("default_return_url") or None,
        login_page_enabled=login.bool("enabled", False) if login is not None else False,
        name=p.opt_str("name") or None,
        metadata=p.metadata() or {},
    )
    return call.respond(configuration)


def configuration_patch(call: Call) -> JSON:
    p = call.params
    p.expect("active", *CONFIGURATION_PARAMS)
    configuration = call.state.store.portal_configurations.get(call.arg("id"))
    fields: dict[str, Any] = {}
    _set(fields, "active", p.opt_bool("active"))
    if p.has("default_return_url"):
        fields["default_return_url"] = p.opt_str("default_return_url") or None
    if p.has("name"):
        fields["name"] = p.opt_str("name") or None
    login = p.sub("login_page")
    if login is not None:
        login.expect("enabled")
        _set(fields, "login_page_enabled", login.opt_bool("enabled"))
    changes = p.metadata()
    updated = configuration_update(
        call.state,
        configuration,
        features=_features(p.sub("features")),
        business_profile=_business_profile(p.sub("business_profile")),
        fields=fields,
        metadata=None if changes is None else metadata_merged(configuration.metadata, changes),
    )
    return call.respond(updated)


def configuration_get(call: Call) -> JSON:
    return call.respond(call.state.store.portal_configurations.get(call.arg("id")))


def configuration_list(call: Call) -> JSON:
    p = call.params
    p.expect(*LIST_PARAMS, "active", "is_default")
    active = p.opt_bool("active")
    is_default = p.opt_bool("is_default")
    records = newest_first(
        iter(call.state.store.portal_configurations),
        lambda c: (
            (active is None or c.active == active)
            and (is_default is None or c.is_default == is_default)
        ),
    )
    return call.list(records, "/v1/billing_portal/configurations")


def portal_post(call: Call) -> JSON:
    p = call.params
    p.expect("customer", "return_url", "flow_data", "locale", "configuration", "on_behalf_of")
    flow_type: str | None = None
    flow_subscription: str | None = None
    flow = p.sub("flow_data")
    if flow is not None:
        flow.expect("type", *PORTAL_FLOWS, "after_completion")
        flow_type = flow.choice("type", PORTAL_FLOWS)
        if flow_type is None:
            raise ParameterMissing("flow_data[type]")
        details = flow.sub(flow_type)
        if flow_type != "payment_method_update":
            if details is None:
                raise ParameterMissing(f"flow_data[{flow_type}]")
            details.expect("subscription", "retention", "items", "discounts")
            flow_subscription = details.str("subscription")
    portal = portal_session_create(
        call.state,
        customer=p.str("customer"),
        configuration=p.opt_str("configuration") or None,
        return_url=p.opt_str("return_url") or None,
        flow_type=flow_type,
        flow_subscription=flow_subscription,
    )
    return call.respond(portal)


ROUTES = (
    Route("/v1/billing_portal/configurations", ("POST",), configuration_post, "api"),
    Route("/v1/billing_portal/configurations", ("GET",), configuration_list, "api"),
    Route("/v1/billing_portal/configurations/<id>", ("GET",), configuration_get, "api"),
    Route("/v1/billing_portal/configurations/<id>", ("POST",), configuration_patch, "api"),
    Route("/v1/billing_portal/sessions", ("POST",), portal_post, "api"),
)
