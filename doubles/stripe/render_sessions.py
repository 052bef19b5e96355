"""Stripe JSON for sessions: Checkout Sessions (and their line items), Customer Portal
configurations and sessions.

Shapes of the pinned API version (``2026-10-28.endive``): a Checkout Session carries
``automatic_tax``, ``custom_fields``, ``custom_text`` and ``shipping_options``, ``ui_mode``
``hosted_page``, the payment methods it offers (``payment_method_types``) and what narrowed them
(``allowed_payment_method_types``); its ``line_items`` are included only when expanded.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from doubles.stripe.records import CheckoutSession, PortalConfiguration, PortalSession
from doubles.stripe.render_money import list_object

if TYPE_CHECKING:
    from doubles.stripe.render import Renderer

JSON = dict[str, object]


def checkout_session(r: Renderer, s: CheckoutSession) -> JSON:
    price = r.store.prices.get(s.price)
    amount = price.unit_amount * s.quantity
    customer = r.store.customers.find(s.customer)
    return {
        "id": s.id,
        "object": "checkout.session",
        "allow_promotion_codes": s.allow_promotion_codes,
        "allowed_payment_method_types": s.allowed_payment_method_types,
        "amount_subtotal": amount,
        "amount_total": amount,
        "automatic_tax": {
            "enabled": False,
            "liability": None,
            "provider": None,
            "status": None,
        },
        "cancel_url": s.cancel_url,
        "client_reference_id": s.client_reference_id,
        "created": s.created,
        "currency": "brl",
        "custom_fields": [],
        "custom_text": {
            "after_submit": None,
            "shipping_address": None,
            "submit": None,
            "terms_of_service_acceptance": None,
        },
        "customer": s.customer,
        "customer_details": None
        if customer is None
        else {"email": customer.email, "name": customer.name, "tax_exempt": "none"},
        "customer_email": s.customer_email,
        "excluded_payment_method_types": s.excluded_payment_method_types,
        "expires_at": s.expires_at,
        "invoice": s.invoice,
        "livemode": False,
        "metadata": dict(s.metadata),
        "mode": "subscription",
        "payment_intent": None,
        "payment_method_collection": s.payment_method_collection,
        "payment_method_configuration_details": None
        if s.payment_method_configuration is None
        else {"id": s.payment_method_configuration, "parent": None},
        "payment_method_types": list(s.payment_method_types),
        "payment_status": s.payment_status,
        "shipping_options": [],
        "status": s.status,
        "subscription": s.subscription,
        "success_url": s.success_url,
        "ui_mode": "hosted_page",
        "url": f"{r.base_url}/checkout/{s.id}" if s.status == "open" else None,
    }


def checkout_line_items(r: Renderer, s: CheckoutSession) -> JSON:
    price = r.store.prices.get(s.price)
    product = r.store.products.find(price.product)
    amount = price.unit_amount * s.quantity
    item: JSON = {
        "id": "li_" + s.id.removeprefix("cs_test_")[:24],
        "object": "item",
        "amount_discount": 0,
        "amount_subtotal": amount,
        "amount_tax": 0,
        "amount_total": amount,
        "currency": "brl",
        "description": product.name if product else None,
        "price": r.price(price),
        "quantity": s.quantity,
    }
    return list_object([item], f"/v1/checkout/sessions/{s.id}/line_items")


def portal_session(r: Renderer, s: PortalSession) -> JSON:
    flow: JSON | None = None
    if s.flow_type is not None:
        flow = {
            "type": s.flow_type,
            "after_completion": {"type": "portal_homepage"},
            "subscription_cancel": {"subscription": s.flow_subscription}
            if s.flow_type == "subscription_cancel"
            else None,
            "subscription_update": {"subscription": s.flow_subscription}
            if s.flow_type == "subscription_update"
            else None,
        }
    return {
        "id": s.id,
        "object": "billing_portal.session",
        "configuration": s.configuration,
        "created": s.created,
        "customer": s.customer,
        "flow": flow,
        "livemode": False,
        "locale": None,
        "on_behalf_of": None,
        "return_url": s.return_url,
        "url": f"{r.base_url}/portal/{s.id}",
    }


def default_features() -> dict[str, JSON]:
    """Every feature switched off, with Stripe's defaults for its settings."""
    return {
        "customer_update": {"allowed_updates": [], "enabled": False},
        "invoice_history": {"enabled": False},
        "payment_method_update": {"enabled": False, "payment_method_configuration": None},
        "subscription_cancel": {
            "cancellation_reason": {"enabled": False, "options": []},
            "enabled": False,
            "mode": "at_period_end",
            "proration_behavior": "none",
        },
        "subscription_pause": {
            "duration": {"interval_options": [], "type": "indefinite"},
            "enabled": False,
        },
        "subscription_update": {
            "billing_cycle_anchor": None,
            "default_allowed_updates": [],
            "enabled": False,
            "products": [],
            "proration_behavior": "none",
            "schedule_at_period_end": {"conditions": []},
            "trial_update_behavior": "end_trial",
        },
    }


def portal_configuration(c: PortalConfiguration) -> JSON:
    return {
        "id": c.id,
        "object": "billing_portal.configuration",
        "active": c.active,
        "application": None,
        "business_profile": dict(c.business_profile),
        "created": c.created,
        "default_return_url": c.default_return_url,
        "features": dict(c.features),
        "is_default": c.is_default,
        "livemode": False,
        "login_page": {"enabled": c.login_page_enabled, "url": None},
        "metadata": dict(c.metadata),
        "name": c.name,
        "updated": c.updated or c.created,
    }
