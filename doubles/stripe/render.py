"""Stripe JSON for every record, and ``expand[]``.

Shapes are those of the API version the SDK pins (``2026-10-28.endive``), held to the SDK's
typed resources by tests/doubles/stripe/test_contract.py: the billing period lives on the
subscription's items only, there is no ``plan``. ``expand`` follows any dotted path of id fields
(``latest_invoice``, ``data.customer`` on lists) and adds the includable fields, which are absent
unless asked for: the checkout session's ``line_items`` and the invoice's ``payments``.
"""

from __future__ import annotations

from doubles.stripe import render_money, render_payments, render_sessions
from doubles.stripe.errors import InvalidRequest
from doubles.stripe.records import (
    Charge,
    CheckoutSession,
    Customer,
    Dispute,
    Event,
    Invoice,
    InvoiceItem,
    PaymentIntent,
    PaymentMethod,
    PortalConfiguration,
    PortalSession,
    Price,
    Product,
    Record,
    Refund,
    Subscription,
    SubscriptionItem,
    TaxRate,
)
from doubles.stripe.store import Store

JSON = dict[str, object]
list_object = render_money.list_object


class Renderer:
    """Renders records of one store; ``base_url`` builds the hosted pages' addresses."""

    def __init__(self, store: Store, base_url: str) -> None:
        self.store = store
        self.base_url = base_url

    def render(self, record: Record) -> JSON:
        """Any record, dispatched on its type."""
        if isinstance(record, Product):
            return self.product(record)
        if isinstance(record, Price):
            return self.price(record)
        if isinstance(record, TaxRate):
            return self.tax_rate(record)
        if isinstance(record, Customer):
            return self.customer(record)
        if isinstance(record, PaymentMethod):
            return self.payment_method(record)
        if isinstance(record, CheckoutSession):
            return render_sessions.checkout_session(self, record)
        if isinstance(record, PortalSession):
            return render_sessions.portal_session(self, record)
        if isinstance(record, Subscription):
            return self.subscription(record)
        if isinstance(record, Invoice):
            return render_money.invoice(self, record)
        if isinstance(record, InvoiceItem):
            return render_money.invoice_item(self, record)
        if isinstance(record, PaymentIntent):
            return render_payments.payment_intent(self, record)
        if isinstance(record, Charge):
            return render_payments.charge(self, record)
        if isinstance(record, Refund):
            return render_payments.refund(record)
        if isinstance(record, Dispute):
            return render_payments.dispute(record)
        if isinstance(record, Event):
            return self.event(record)
        if isinstance(record, PortalConfiguration):
            return render_sessions.portal_configuration(record)
        raise TypeError(f"no Stripe shape for {type(record).__name__}")

    # -- catalogue -----------------------------------------------------------------------

    def product(self, p: Product) -> JSON:
        return {
            "id": p.id,
            "object": "product",
            "active": p.active,
            "created": p.created,
            "default_price": None,
            "description": p.description,
            "images": [],
            "livemode": False,
            "marketing_features": [],
            "metadata": dict(p.metadata),
            "name": p.name,
            "tax_code": None,
            "type": "service",
            "updated": p.updated or p.created,
            "url": None,
        }

    def price(self, p: Price) -> JSON:
        recurring: JSON | None = None
        if p.interval is not None:
            recurring = {
                "interval": p.interval,
                "interval_count": p.interval_count,
                "meter": None,
                "trial_period_days": None,
                "usage_type": "licensed",
            }
        return {
            "id": p.id,
            "object": "price",
            "active": p.active,
            "billing_scheme": "per_unit",
            "created": p.created,
            "currency": p.currency,
            "custom_unit_amount": None,
            "livemode": False,
            "lookup_key": p.lookup_key,
            "metadata": dict(p.metadata),
            "nickname": p.nickname,
            "product": p.product,
            "recurring": recurring,
            "tax_behavior": p.tax_behavior,
            "tiers_mode": None,
            "transform_quantity": None,
            "type": "recurring" if recurring else "one_time",
            "unit_amount": p.unit_amount,
            "unit_amount_decimal": str(p.unit_amount),
        }

    def plan(self, p: Price) -> JSON:
        """The ``plan`` a subscription item still carries: its recurring price as a plan."""
        return {
            "id": p.id,
            "object": "plan",
            "active": p.active,
            "amount": p.unit_amount,
            "amount_decimal": str(p.unit_amount),
            "billing_scheme": "per_unit",
            "created": p.created,
            "currency": p.currency,
            "interval": p.interval,
            "interval_count": p.interval_count,
            "livemode": False,
            "metadata": dict(p.metadata),
            "nickname": p.nickname,
            "product": p.product,
            "usage_type": "licensed",
        }

    def tax_rate(self, t: TaxRate) -> JSON:
        return {
            "id": t.id,
            "object": "tax_rate",
            "active": t.active,
            "country": t.country,
            "created": t.created,
            "description": t.description,
            "display_name": t.display_name,
            "effective_percentage": t.percentage,
            "inclusive": t.inclusive,
            "jurisdiction": t.jurisdiction,
            "jurisdiction_level": None,
            "livemode": False,
            "metadata": dict(t.metadata),
            "percentage": t.percentage,
            "rate_type": "percentage",
            "state": t.state,
            "tax_type": None,
        }

    def tax_rate_by_id(self, tax_rate_id: str) -> JSON:
        return self.tax_rate(self.store.tax_rates.get(tax_rate_id))

    # -- customers -----------------------------------------------------------------------

    def customer(self, c: Customer) -> JSON:
        delinquent = any(
            i.customer == c.id and i.status == "open" and i.attempt_count > 0
            for i in self.store.invoices
        )
        return {
            "id": c.id,
            "object": "customer",
            "address": None,
            "balance": c.balance,
            "created": c.created,
            "currency": c.currency,
            "default_source": None,
            "delinquent": delinquent,
            "description": c.description,
            "email": c.email,
            "invoice_prefix": c.id[4:12].upper(),
            "invoice_settings": {
                "custom_fields": None,
                "default_payment_method": c.default_payment_method,
                "footer": None,
                "rendering_options": None,
            },
            "livemode": False,
            "metadata": dict(c.metadata),
            "name": c.name,
            "phone": c.phone,
            "preferred_locales": [],
            "shipping": None,
            "tax_exempt": "none",
        }

    def payment_method(self, m: PaymentMethod) -> JSON:
        body: JSON = {
            "id": m.id,
            "object": "payment_method",
            "allow_redisplay": "unspecified",
            "billing_details": {"address": None, "email": None, "name": None, "phone": None},
            "created": m.created,
            "customer": m.customer,
            "livemode": False,
            "metadata": dict(m.metadata),
            "type": m.type,
        }
        if m.type == "card":
            body["card"] = {
                "brand": m.brand,
                "checks": {"cvc_check": "pass"},
                "country": "BR",
                "display_brand": m.brand,
                "exp_month": m.exp_month,
                "exp_year": m.exp_year,
                "funding": "credit",
                "last4": m.last4,
                "networks": {"available": [m.brand], "preferred": None},
                "three_d_secure_usage": {"supported": True},
            }
        else:
            body["boleto"] = {"tax_id": "00000000000"}
        return body

    def checkout_line_items(self, s: CheckoutSession) -> JSON:
        return render_sessions.checkout_line_items(self, s)

    # -- subscriptions -------------------------------------------------------------------

    def subscription_item(self, sub: Subscription, item: SubscriptionItem) -> JSON:
        price = self.store.prices.get(item.price)
        return {
            "id": item.id,
            "object": "subscription_item",
            "billing_thresholds": None,
            "created": item.created,
            "current_period_end": sub.current_period_end,
            "current_period_start": sub.current_period_start,
            "discounts": [],
            "metadata": dict(item.metadata),
            "plan": self.plan(price),
            "price": self.price(price),
            "quantity": item.quantity,
            "subscription": sub.id,
            "tax_rates": [self.tax_rate_by_id(t) for t in item.tax_rates],
        }

    def subscription(self, s: Subscription) -> JSON:
        items = [self.subscription_item(s, item) for item in s.items]
        return {
            "id": s.id,
            "object": "subscription",
            "application": None,
            "automatic_tax": {"enabled": False, "liability": None},
            "billing_cycle_anchor": s.billing_cycle_anchor,
            "billing_mode": {
                "type": "flexible",
                "flexible": {"proration_discounts": "included"},
                "updated_at": None,
            },
            "billing_schedules": [],
            "billing_thresholds": None,
            "cancel_at": s.cancel_at,
            "cancel_at_period_end": s.cancel_at_period_end,
            "canceled_at": s.canceled_at,
            "cancellation_details": dict(s.cancellation_details),
            "collection_method": "charge_automatically",
            "created": s.created,
            "currency": "brl",
            "customer": s.customer,
            "days_until_due": None,
            "default_payment_method": s.default_payment_method,
            "default_source": None,
            "default_tax_rates": [self.tax_rate_by_id(t) for t in s.default_tax_rates],
            "description": s.description,
            "discounts": [],
            "ended_at": s.ended_at,
            "invoice_settings": {"account_tax_ids": None, "issuer": {"type": "self"}},
            "items": list_object(items, f"/v1/subscription_items?subscription={s.id}"),
            "latest_invoice": s.latest_invoice,
            "livemode": False,
            "metadata": dict(s.metadata),
            "next_pending_invoice_item_invoice": None,
            "pause_collection": None,
            "payment_settings": {
                "payment_method_options": None,
                "payment_method_types": None,
                "save_default_payment_method": "off",
            },
            "pending_invoice_item_interval": None,
            "pending_setup_intent": None,
            "pending_update": None,
            "schedule": None,
            "start_date": s.start_date,
            "status": s.status,
            "test_clock": None,
            "trial_end": s.trial_end,
            "trial_settings": {
                "end_behavior": {"missing_payment_method": s.missing_payment_method}
            },
            "trial_start": s.trial_start,
        }

    # -- money (render_money.py) ---------------------------------------------------------

    def invoice(self, inv: Invoice) -> JSON:
        return render_money.invoice(self, inv)

    def payment_intent(self, pi: PaymentIntent) -> JSON:
        return render_payments.payment_intent(self, pi)

    def charge(self, ch: Charge) -> JSON:
        return render_payments.charge(self, ch)

    def event(self, e: Event) -> JSON:
        data: JSON = {"object": e.data_object}
        if e.previous_attributes is not None:
            data["previous_attributes"] = e.previous_attributes
        return {
            "id": e.id,
            "object": "event",
            "api_version": e.api_version,
            "created": e.created,
            "data": data,
            "livemode": False,
            "pending_webhooks": e.pending_webhooks,
            "request": {"id": e.request_id, "idempotency_key": e.idempotency_key},
            "type": e.type,
        }

    # -- expansion -----------------------------------------------------------------------

    def expand(self, body: JSON, paths: list[str]) -> JSON:
        for path in paths:
            self._expand(body, path.split("."), path)
        return body

    def _expand(self, node: JSON, parts: list[str], path: str) -> None:
        key, rest = parts[0], parts[1:]
        if key == "data" and node.get("object") in ("list", "search_result"):
            items = node.get("data")
            if rest and isinstance(items, list):
                for item in items:
                    if isinstance(item, dict):
                        self._expand(item, rest, path)
            return
        if key == "line_items" and node.get("object") == "checkout.session":
            node["line_items"] = self.checkout_line_items(
                self.store.checkout_sessions.get(str(node["id"]))
            )
        elif key == "payments" and node.get("object") == "invoice":
            found = self.store.invoices.find(str(node.get("id")))
            node["payments"] = (
                render_money.invoice_payments_list(found)
                if found is not None
                else list_object([], "/v1/invoice_payments")
            )
        elif key not in node:
            raise InvalidRequest(f"This property cannot be expanded ({path}).", param="expand")
        value = node[key]
        if isinstance(value, str):
            record = self.store.lookup(value)
            if record is None:
                raise InvalidRequest(f"This property cannot be expanded ({path}).", param="expand")
            value = self.render(record)
            node[key] = value
        if not rest or value is None:
            return
        if isinstance(value, dict):
            self._expand(value, rest, path)
        else:
            raise InvalidRequest(f"This property cannot be expanded ({path}).", param="expand")
