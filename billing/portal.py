"""The Stripe Customer Portal: the saved configuration it needs, and sessions under it.

Stripe opens no portal session without a configuration, so ``portal_configuration_sync`` (run
by ``sync_stripe_catalog``, and on first need) keeps one: update the payment method, see
invoices, cancel at the end of the period, and switch plan among our public plans' current
prices, invoiced at once as our own plan change is. It is found again by its id (or, after a
crash between Stripe's answer and our write, by its metadata) and updated only when what we
want differs from what Stripe has, so running it twice changes nothing.
"""

from __future__ import annotations

import hashlib
import json
import logging
import uuid

from django.db import transaction

from billing.checkout import customer_ensure, tenant_locked
from billing.errors import StripeRejected
from billing.models import Plan, PortalConfiguration
from billing.stripe_api import JSON, idempotency, stripe_call
from tenants.models import Tenant

logger = logging.getLogger(__name__)

METADATA_KEY = "peepers_portal"
CANCELLATION_REASONS = ["too_expensive", "missing_features", "switched_service", "unused", "other"]


def _products() -> list[JSON]:
    plans = Plan.objects.filter(is_public=True).exclude(stripe_price_id="")
    return [
        {"product": plan.stripe_product_id, "prices": [plan.stripe_price_id]}
        for plan in plans.order_by("sort_order", "pk")
        if plan.stripe_product_id
    ]


def portal_features() -> JSON:
    """What the portal lets a store do, as Stripe's ``features`` parameter."""
    products = _products()
    return {
        "invoice_history": {"enabled": True},
        "payment_method_update": {"enabled": True},
        "subscription_cancel": {
            "enabled": True,
            "mode": "at_period_end",
            "proration_behavior": "none",
            "cancellation_reason": {"enabled": True, "options": CANCELLATION_REASONS},
        },
        "subscription_update": {
            "enabled": bool(products),
            "default_allowed_updates": ["price"] if products else [],
            "products": products,
            "proration_behavior": "always_invoice",
        },
    }


def _differs(current: JSON, wanted: JSON) -> bool:
    """Whether Stripe's settings lack any we want (Stripe adds defaults of its own, kept)."""
    for key, value in wanted.items():
        have = current.get(key)
        if key == "products":
            listed = [
                {"product": p.get("product"), "prices": list(p.get("prices") or [])}
                for p in have or []
            ]
            if listed != value:
                return True
        elif isinstance(value, dict):
            if not isinstance(have, dict) or _differs(have, value):
                return True
        elif have != value:
            return True
    return False


def _fingerprint(features: JSON) -> str:
    return hashlib.sha256(json.dumps(features, sort_keys=True).encode()).hexdigest()[:16]


def _fetch(configuration_id: str) -> JSON | None:
    try:
        return stripe_call(
            lambda c: c.v1.billing_portal.configurations.retrieve(configuration_id),
            what="portal configuration fetch",
        )
    except StripeRejected:  # gone from this account (or a fresh emulator)
        return None


def _adopt() -> JSON | None:
    """Ours, created by an earlier run whose write of the id did not happen."""
    listed = stripe_call(
        lambda c: c.v1.billing_portal.configurations.list(params={"active": True, "limit": 100}),
        what="portal configuration list",
    )
    for found in listed.get("data") or []:
        if (found.get("metadata") or {}).get(METADATA_KEY) == "default":
            return dict(found)
    return None


def portal_configuration_sync(report: list[str] | None = None) -> str:
    """The id of our portal configuration in Stripe, created or brought up to date."""
    report = report if report is not None else []
    features = portal_features()
    with transaction.atomic():
        PortalConfiguration.objects.get_or_create(key="default")
        row = PortalConfiguration.objects.select_for_update().get(key="default")
        current = _fetch(row.stripe_configuration_id) if row.stripe_configuration_id else None
        current = current or _adopt()
        if current is None:
            params: JSON = {"features": features, "metadata": {METADATA_KEY: "default"}}
            created = stripe_call(
                lambda c: c.v1.billing_portal.configurations.create(
                    params=params,  # type: ignore[arg-type]
                    options=idempotency("portal-configuration", _fingerprint(features)),  # type: ignore[arg-type]
                ),
                what="portal configuration create",
            )
            configuration_id = str(created["id"])
            report.append(f"portal configuration {configuration_id} created")
        else:
            configuration_id = str(current["id"])
            if _differs(current.get("features") or {}, features) or not current.get("active"):
                stripe_call(
                    lambda c: c.v1.billing_portal.configurations.update(
                        configuration_id,
                        params={"features": features, "active": True},  # type: ignore[arg-type]
                        options=idempotency(  # type: ignore[arg-type]
                            "portal-configuration-update", configuration_id, _fingerprint(features)
                        ),
                    ),
                    what="portal configuration update",
                )
                report.append(f"portal configuration {configuration_id} updated")
        if row.stripe_configuration_id != configuration_id:
            row.stripe_configuration_id = configuration_id
            row.save(update_fields=["stripe_configuration_id", "updated_at"])
    return configuration_id


def _configuration_id() -> str:
    stored = (
        PortalConfiguration.objects.filter(key="default")
        .values_list("stripe_configuration_id", flat=True)
        .first()
    )
    return stored or portal_configuration_sync()


def portal_session_create(*, tenant: Tenant, base_url: str) -> str:
    """A short-lived Customer Portal URL (payment method, cancel, plan switch, invoices)."""
    with transaction.atomic():
        customer = customer_ensure(tenant=tenant_locked(tenant))
    configuration_id = _configuration_id()
    try:
        return _session(customer.stripe_customer_id, configuration_id, base_url)
    except StripeRejected:
        # The configuration was removed in Stripe since we stored it: make it again, once.
        fresh = portal_configuration_sync()
        if fresh == configuration_id:
            raise
        return _session(customer.stripe_customer_id, fresh, base_url)


def _session(customer_id: str, configuration_id: str, base_url: str) -> str:
    session = stripe_call(
        lambda c: c.v1.billing_portal.sessions.create(
            params={
                "customer": customer_id,
                "configuration": configuration_id,
                "return_url": f"{base_url}/billing/",
            },
            # Each click is its own short-lived session; the key covers the SDK's retries.
            options=idempotency("portal", customer_id, uuid.uuid4()),  # type: ignore[arg-type]
        ),
        what="portal session create",
    )
    return str(session["url"])
