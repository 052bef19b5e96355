"""``sync_stripe_catalog``: our plans, tax rates and portal configuration in Stripe, idempotently.

One Product per plan (Stripe's advice) and one monthly BRL Price. A Price's amount cannot change
in Stripe: when a plan's price changes, a new Price takes over the plan's lookup key and the old
one is archived (subscriptions on it keep it until they change plan). Tax rates are immutable in
the same way; the admin only lets staff archive one and add another.
"""

from __future__ import annotations

import logging

from django.db import transaction

from billing.errors import StripeRejected
from billing.models import Plan, TaxRate
from billing.portal import portal_configuration_sync
from billing.stripe_api import idempotency, stripe_call

logger = logging.getLogger(__name__)


def _tax_rate_sync(rate: TaxRate, report: list[str], *, replaces: str = "new") -> None:
    if not rate.stripe_tax_rate_id:
        params = {
            "display_name": rate.name,
            "description": rate.description or rate.name,
            "jurisdiction": rate.jurisdiction or "BR",
            "country": "BR",
            "percentage": str(rate.percentage.normalize()),
            "inclusive": rate.inclusive,
            "active": rate.active,
            "metadata": {"peepers_tax_rate": str(rate.pk)},
        }
        created = stripe_call(
            lambda c: c.v1.tax_rates.create(
                params=params,  # type: ignore[arg-type]
                options=idempotency(  # type: ignore[arg-type]
                    "tax-rate", rate.pk, rate.percentage.normalize(), rate.inclusive, replaces
                ),
            ),
            what="tax rate create",
        )
        rate.stripe_tax_rate_id = str(created["id"])
        rate.save(update_fields=["stripe_tax_rate_id"])
        report.append(f"tax rate {rate}: created {rate.stripe_tax_rate_id}")
        return
    rate_id = rate.stripe_tax_rate_id
    try:
        current = stripe_call(lambda c: c.v1.tax_rates.retrieve(rate_id), what="tax rate fetch")
    except StripeRejected:
        rate.stripe_tax_rate_id = ""
        _tax_rate_sync(rate, report, replaces=rate_id)
        return
    if current.get("active") != rate.active or current.get("display_name") != rate.name:
        stripe_call(
            lambda c: c.v1.tax_rates.update(
                rate_id,
                params={"active": rate.active, "display_name": rate.name},
                # From what Stripe has now to what we want: toggling back is a new request.
                options=idempotency(  # type: ignore[arg-type]
                    "tax-rate-update",
                    rate_id,
                    current.get("active"),
                    current.get("display_name"),
                    rate.active,
                    rate.name,
                ),
            ),
            what="tax rate update",
        )
        report.append(f"tax rate {rate}: updated {rate_id}")


def _product_sync(plan: Plan, report: list[str], *, replaces: str = "new") -> None:
    wanted = {
        "name": f"Peepers {plan.name}",
        "active": plan.is_public or plan.subscriptionmirror_set.exists(),
        "metadata": {"plan_code": plan.code},
    }
    if not plan.stripe_product_id:
        created = stripe_call(
            lambda c: c.v1.products.create(
                params=wanted,  # type: ignore[arg-type]
                options=idempotency("product", plan.code, replaces),  # type: ignore[arg-type]
            ),
            what="product create",
        )
        plan.stripe_product_id = str(created["id"])
        report.append(f"plan {plan.code}: product {plan.stripe_product_id} created")
        return
    product_id = plan.stripe_product_id
    try:
        current = stripe_call(lambda c: c.v1.products.retrieve(product_id), what="product fetch")
    except StripeRejected:
        # Gone from this Stripe account (or a fresh emulator): make it again.
        plan.stripe_product_id = plan.stripe_price_id = ""
        _product_sync(plan, report, replaces=product_id)
        return
    if current.get("name") != wanted["name"] or current.get("active") != wanted["active"]:
        stripe_call(
            lambda c: c.v1.products.update(
                product_id,
                params={"name": wanted["name"], "active": wanted["active"]},  # type: ignore[arg-type]
                options=idempotency(  # type: ignore[arg-type]
                    "product-update",
                    product_id,
                    current.get("name"),
                    current.get("active"),
                    wanted["name"],
                    wanted["active"],
                ),
            ),
            what="product update",
        )
        report.append(f"plan {plan.code}: product {product_id} updated")


def _price_exists(price_id: str) -> bool:
    try:
        stripe_call(lambda c: c.v1.prices.retrieve(price_id), what="price fetch")
    except StripeRejected:
        return False
    return True


def _price_sync(plan: Plan, report: list[str]) -> None:
    previous = plan.stripe_price_id or "new"  # in the key: a price changed back is a new one
    current = plan.stripe_price_amount == plan.monthly_price_cents
    if plan.stripe_price_id and current and _price_exists(plan.stripe_price_id):
        return
    if plan.stripe_price_id and not _price_exists(plan.stripe_price_id):
        plan.stripe_price_id = ""
    inclusive = plan.tax_rates.filter(active=True, inclusive=True).exists()
    params = {
        "product": plan.stripe_product_id,
        "currency": plan.currency.lower(),
        "unit_amount": plan.monthly_price_cents,
        "recurring": {"interval": "month"},
        "lookup_key": f"peepers_{plan.code}_monthly",
        "transfer_lookup_key": True,
        "tax_behavior": "inclusive" if inclusive else "exclusive",
        "metadata": {"plan_code": plan.code},
    }
    created = stripe_call(
        lambda c: c.v1.prices.create(
            params=params,  # type: ignore[arg-type]
            options=idempotency(  # type: ignore[arg-type]
                "price", plan.code, plan.stripe_product_id, plan.monthly_price_cents, previous
            ),
        ),
        what="price create",
    )
    old = plan.stripe_price_id
    if old and old != created["id"]:
        stripe_call(
            lambda c: c.v1.prices.update(
                old,
                params={"active": False},
                options=idempotency("price-archive", old),  # type: ignore[arg-type]
            ),
            what="price archive",
        )
        report.append(f"plan {plan.code}: price {old} archived")
    plan.stripe_price_id = str(created["id"])
    plan.stripe_price_amount = plan.monthly_price_cents
    report.append(
        f"plan {plan.code}: price {plan.stripe_price_id} ({plan.monthly_price_cents} centavos)"
    )


def stripe_catalog_sync() -> list[str]:
    """Create or update Stripe's tax rates, products and prices, and the Customer Portal
    configuration that offers those prices; what changed, line by line."""
    report: list[str] = []
    for rate in TaxRate.objects.order_by("pk"):
        _tax_rate_sync(rate, report)
    for plan in Plan.objects.order_by("sort_order", "pk"):
        with transaction.atomic():
            plan = Plan.objects.select_for_update().get(pk=plan.pk)
            _product_sync(plan, report)
            _price_sync(plan, report)
            plan.save(update_fields=["stripe_product_id", "stripe_price_id", "stripe_price_amount"])
    portal_configuration_sync(report)
    logger.info("stripe catalog sync: %d change(s)", len(report))
    return report
