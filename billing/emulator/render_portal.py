"""Stripe JSON for a Customer Portal configuration (``billing_portal.configuration``)."""

from __future__ import annotations

from billing.emulator.records import PortalConfiguration

JSON = dict[str, object]


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
