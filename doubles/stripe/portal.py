"""The Customer Portal: saved configurations, sessions, and what a session lets a customer do.

As in Stripe, a session runs under a configuration: the one named at creation, else the
account's default. An account has no default until one is saved in the Dashboard, so sessions
made through the API alone must name a configuration created with
``POST /v1/billing_portal/configurations``. The configuration decides what the hosted page
offers: updating the payment method, cancelling (at period end or at once), switching among the
listed products' prices.
"""

from __future__ import annotations

from typing import Any

from doubles.stripe.customers import TEST_TOKENS, customer_update, payment_method_attach
from doubles.stripe.errors import InvalidRequest
from doubles.stripe.proration import PlanChange
from doubles.stripe.records import PortalConfiguration, PortalSession, Price, Subscription
from doubles.stripe.render_sessions import default_features
from doubles.stripe.state import EmulatorState
from doubles.stripe.subscriptions import subscription_cancel, subscription_update

NO_DEFAULT_CONFIGURATION = (
    "You can't create a portal session in test mode until you save your customer portal "
    "settings in test mode at https://dashboard.stripe.com/test/settings/billing/portal."
)


def features_merge(current: dict[str, Any], changes: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """``current`` features with each named feature's given settings replaced."""
    merged = {name: dict(value) for name, value in current.items()}
    for name, settings in changes.items():
        merged[name] = {**merged[name], **settings}
    return merged


def configuration_check(state: EmulatorState, features: dict[str, Any]) -> None:
    """What Stripe refuses in a configuration: switching plans with nothing to switch to,
    or prices that are not recurring prices of the product they are listed under."""
    update = features["subscription_update"]
    if not update["enabled"]:
        return
    if not update["products"] or not update["default_allowed_updates"]:
        raise InvalidRequest(
            "To enable subscription updates, you must specify "
            "features[subscription_update][products] and "
            "features[subscription_update][default_allowed_updates].",
            param="features[subscription_update]",
        )
    for index, product in enumerate(update["products"]):
        param = f"features[subscription_update][products][{index}]"
        state.store.products.get(product["product"], param=f"{param}[product]")
        for price_id in product["prices"]:
            price = state.store.prices.get(price_id, param=f"{param}[prices]")
            if price.product != product["product"] or price.interval is None:
                raise InvalidRequest(
                    f"The price {price_id} is not a recurring price of {product['product']}.",
                    param=f"{param}[prices]",
                )


def configuration_create(
    state: EmulatorState,
    *,
    features: dict[str, dict[str, Any]],
    business_profile: dict[str, object],
    default_return_url: str | None,
    login_page_enabled: bool,
    name: str | None,
    metadata: dict[str, str],
) -> PortalConfiguration:
    merged = features_merge(default_features(), features)
    configuration_check(state, merged)
    return state.store.portal_configurations.add(
        PortalConfiguration(
            id=state.new_id("bpc_"),
            created=state.now(),
            seq=state.next_seq(),
            features=merged,
            business_profile={
                "headline": None,
                "privacy_policy_url": None,
                "terms_of_service_url": None,
                **business_profile,
            },
            default_return_url=default_return_url,
            login_page_enabled=login_page_enabled,
            name=name,
            metadata=metadata,
        )
    )


def configuration_update(
    state: EmulatorState,
    configuration: PortalConfiguration,
    *,
    features: dict[str, dict[str, Any]],
    business_profile: dict[str, object],
    fields: dict[str, Any],
    metadata: dict[str, str] | None,
) -> PortalConfiguration:
    merged = features_merge(configuration.features, features)
    configuration_check(state, merged)
    configuration.features = merged
    configuration.business_profile = {**configuration.business_profile, **business_profile}
    for name, value in fields.items():
        setattr(configuration, name, value)
    if metadata is not None:
        configuration.metadata = metadata
    configuration.updated = state.now()
    return configuration


def portal_session_create(
    state: EmulatorState,
    *,
    customer: str,
    configuration: str | None,
    return_url: str | None,
    flow_type: str | None,
    flow_subscription: str | None,
) -> PortalSession:
    state.store.customers.get(customer, param="customer")
    if configuration is not None:
        chosen = state.store.portal_configurations.get(configuration, param="configuration")
        if not chosen.active:
            raise InvalidRequest(
                f"The configuration {configuration} is not active.", param="configuration"
            )
    else:
        defaults = [c for c in state.store.portal_configurations if c.is_default]
        if not defaults:
            raise InvalidRequest(NO_DEFAULT_CONFIGURATION)
        chosen = defaults[-1]
    if flow_subscription is not None:
        state.store.subscriptions.get(flow_subscription, param="flow_data")
    return state.store.portal_sessions.add(
        PortalSession(
            id=state.new_id("bps_"),
            created=state.now(),
            seq=state.next_seq(),
            customer=customer,
            return_url=return_url or chosen.default_return_url,
            configuration=chosen.id,
            flow_type=flow_type,
            flow_subscription=flow_subscription,
        )
    )


def portal_features(state: EmulatorState, portal: PortalSession) -> dict[str, Any]:
    return state.store.portal_configurations.get(portal.configuration).features


def portal_subscription(state: EmulatorState, portal: PortalSession) -> Subscription | None:
    """The customer's current subscription: the newest one that has not ended."""
    live = [
        s
        for s in state.store.subscriptions
        if s.customer == portal.customer and s.status not in ("canceled", "incomplete_expired")
    ]
    return live[-1] if live else None


def portal_prices(state: EmulatorState, portal: PortalSession, sub: Subscription) -> list[Price]:
    """Prices the portal offers: the configuration's listed prices, active, the current one
    excluded; none when plan switching is off."""
    update = portal_features(state, portal)["subscription_update"]
    if not update["enabled"]:
        return []
    listed = [price_id for product in update["products"] for price_id in product["prices"]]
    current = sub.items[0].price
    prices = (state.store.prices.find(price_id) for price_id in listed if price_id != current)
    return [p for p in prices if p is not None and p.active and p.interval is not None]


def portal_cancel(
    state: EmulatorState, portal: PortalSession, sub: Subscription, *, undo: bool = False
) -> Subscription:
    cancel = portal_features(state, portal)["subscription_cancel"]
    if not cancel["enabled"]:
        raise InvalidRequest("This portal does not allow cancelling.")
    if cancel["mode"] == "immediately" and not undo:
        prorate = cancel["proration_behavior"] != "none"
        return subscription_cancel(
            state, sub, invoice_now=prorate, prorate=prorate, cancellation_details=None
        )
    return subscription_update(state, sub, cancel_at_period_end=not undo)


def portal_switch(
    state: EmulatorState, portal: PortalSession, sub: Subscription, *, price_id: str
) -> Subscription:
    offered = {p.id: p for p in portal_prices(state, portal, sub)}
    if price_id not in offered:
        raise InvalidRequest(f"The portal does not offer price {price_id}.", param="price")
    update = portal_features(state, portal)["subscription_update"]
    behavior = update["proration_behavior"]
    change = PlanChange(
        price=offered[price_id],
        quantity=sub.items[0].quantity,
        at=state.now(),
        behavior=behavior,
    )
    return subscription_update(state, sub, change=change)


def portal_payment_method(state: EmulatorState, portal: PortalSession, *, token: str) -> str:
    """Attach a new card and make it the default for future invoices."""
    if not portal_features(state, portal)["payment_method_update"]["enabled"]:
        raise InvalidRequest("This portal does not allow updating the payment method.")
    if token not in TEST_TOKENS:
        raise InvalidRequest(
            f"Use one of the test payment methods: {', '.join(sorted(TEST_TOKENS))}.",
            param="payment_method",
        )
    customer = state.store.customers.get(portal.customer)
    method = payment_method_attach(state, source=token, customer=customer)
    customer_update(state, customer, fields={}, metadata=None, default_payment_method=method.id)
    # A subscription-level default would win over the customer's, so it moves too.
    for sub in state.store.subscriptions:
        if sub.customer == customer.id and sub.default_payment_method is not None:
            subscription_update(state, sub, default_payment_method=method.id)
    return method.id
