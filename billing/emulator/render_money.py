"""Stripe JSON for the money objects: invoices and their lines, PaymentIntents, charges, refunds.

Shapes are those of the API version the SDK pins (``2026-10-28.endive``), held to the SDK's
typed resources by tests/billing/emulator/test_contract.py: an invoice names its subscription in
``parent.subscription_details``, its lines carry ``pricing`` and ``parent.*.proration``, taxes are
``total_taxes``; how it was paid is in its invoice payments (``payments``, an includable field
rendered only when expanded, or ``/v1/invoice_payments``). Charges and PaymentIntents no longer
name an invoice.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from billing.emulator.records import (
    Charge,
    Dispute,
    Invoice,
    InvoiceItem,
    InvoiceLine,
    PaymentIntent,
    Refund,
    TaxAmount,
)

if TYPE_CHECKING:
    from billing.emulator.render import Renderer

JSON = dict[str, object]


def list_object(data: list[JSON], url: str, *, has_more: bool = False) -> JSON:
    return {"object": "list", "data": data, "has_more": has_more, "url": url}


def _tax_new(tax: TaxAmount) -> JSON:
    return {
        "amount": tax.amount,
        "tax_behavior": "inclusive" if tax.inclusive else "exclusive",
        "tax_rate_details": {"tax_rate": tax.tax_rate},
        "taxability_reason": "standard_rated",
        "taxable_amount": tax.taxable_amount,
        "type": "tax_rate_details",
    }


def _summed_taxes(lines: list[InvoiceLine]) -> list[TaxAmount]:
    by_rate: dict[str, TaxAmount] = {}
    for line in lines:
        for tax in line.taxes:
            total = by_rate.get(tax.tax_rate)
            if total is None:
                by_rate[tax.tax_rate] = TaxAmount(
                    tax_rate=tax.tax_rate,
                    amount=tax.amount,
                    inclusive=tax.inclusive,
                    taxable_amount=tax.taxable_amount,
                )
            else:
                total.amount += tax.amount
                total.taxable_amount += tax.taxable_amount
    return list(by_rate.values())


def invoice_line(r: Renderer, line: InvoiceLine, invoice_id: str | None) -> JSON:
    price = r.store.prices.find(line.price)
    proration_details: JSON = {"credited_items": None}
    if line.subscription_item is not None:
        parent: JSON = {
            "type": "subscription_item_details",
            "invoice_item_details": None,
            "subscription_item_details": {
                "invoice_item": line.invoice_item,
                "proration": line.proration,
                "proration_details": proration_details,
                "subscription": line.subscription,
                "subscription_item": line.subscription_item,
            },
        }
    else:
        parent = {
            "type": "invoice_item_details",
            "subscription_item_details": None,
            "invoice_item_details": {
                "invoice_item": line.invoice_item,
                "proration": line.proration,
                "proration_details": proration_details,
                "subscription": line.subscription,
            },
        }
    return {
        "id": line.id,
        "object": "line_item",
        "amount": line.amount,
        "currency": "brl",
        "description": line.description,
        "discount_amounts": [],
        "discountable": True,
        "discounts": [],
        "invoice": invoice_id,
        "livemode": False,
        "metadata": dict(line.metadata),
        "parent": parent,
        "period": {"start": line.period_start, "end": line.period_end},
        "pretax_credit_amounts": [],
        "pricing": {
            "type": "price_details",
            "price_details": {
                "price": line.price,
                "product": price.product if price is not None else None,
            },
            "unit_amount_decimal": str(price.unit_amount) if price is not None else None,
        },
        "quantity": line.quantity,
        "subscription": line.subscription,
        "subtotal": line.amount,
        "taxes": [_tax_new(t) for t in line.taxes],
    }


def invoice(r: Renderer, inv: Invoice, *, preview: bool = False) -> JSON:
    customer = r.store.customers.find(inv.customer)
    subscription = r.store.subscriptions.find(inv.subscription)
    # A preview is not saved: its id only names it (``upcoming_…``, as Stripe's previews).
    object_id = "upcoming_" + inv.id if preview else inv.id
    taxes = _summed_taxes(inv.lines)
    inclusive_tax = sum(t.amount for t in taxes if t.inclusive)
    finalized = inv.finalized_at is not None and not preview
    lines_url = f"/v1/invoices/{inv.id}/lines" if not preview else "/v1/invoices/create_preview"
    return {
        "id": object_id,
        "object": "invoice",
        "account_country": "BR",
        "account_name": "Peepers",
        "amount_due": inv.amount_due,
        "amount_overpaid": 0,
        "amount_paid": inv.amount_paid,
        "amount_remaining": inv.amount_remaining,
        "amount_shipping": 0,
        "attempt_count": inv.attempt_count,
        "attempted": inv.attempted,
        "auto_advance": inv.auto_advance,
        "automatic_tax": {"enabled": False, "liability": None, "status": None},
        "billing_reason": inv.billing_reason,
        "collection_method": "charge_automatically",
        "created": inv.created,
        "currency": inv.currency,
        "customer": inv.customer,
        "customer_email": customer.email if customer else None,
        "customer_name": customer.name if customer else None,
        "customer_phone": customer.phone if customer else None,
        "customer_address": None,
        "default_payment_method": None,
        "default_tax_rates": [r.tax_rate_by_id(t) for t in inv.default_tax_rates],
        "description": None,
        "discounts": [],
        "due_date": None,
        "effective_at": inv.finalized_at,
        "ending_balance": inv.ending_balance,
        "footer": None,
        "hosted_invoice_url": f"{r.base_url}/invoice/{inv.id}" if finalized else None,
        "invoice_pdf": f"{r.base_url}/invoice/{inv.id}/pdf" if finalized else None,
        "last_finalization_error": None,
        "issuer": {"type": "self"},
        "lines": list_object(
            [invoice_line(r, line, None if preview else inv.id) for line in inv.lines], lines_url
        ),
        "livemode": False,
        "metadata": dict(inv.metadata),
        "next_payment_attempt": inv.next_payment_attempt,
        "number": inv.number,
        "parent": None
        if inv.subscription is None
        else {
            "type": "subscription_details",
            "quote_details": None,
            "subscription_details": {
                "subscription": inv.subscription,
                "metadata": dict(subscription.metadata) if subscription else {},
            },
        },
        "payment_settings": {
            "default_mandate": None,
            "payment_method_options": None,
            "payment_method_types": None,
        },
        "period_end": inv.period_end,
        "period_start": inv.period_start,
        "post_payment_credit_notes_amount": 0,
        "pre_payment_credit_notes_amount": 0,
        "starting_balance": inv.starting_balance,
        "status": inv.status,
        "status_transitions": {
            "finalized_at": inv.finalized_at,
            "marked_uncollectible_at": inv.marked_uncollectible_at,
            "paid_at": inv.paid_at,
            "voided_at": inv.voided_at,
        },
        "subtotal": inv.subtotal,
        "subtotal_excluding_tax": inv.subtotal - inclusive_tax,
        "total": inv.total,
        "total_discount_amounts": [],
        "total_excluding_tax": inv.total - inv.tax,
        "total_pretax_credit_amounts": [],
        "total_taxes": [_tax_new(t) for t in taxes],
        "webhooks_delivered_at": inv.finalized_at,
    }


def invoice_item(r: Renderer, x: InvoiceItem) -> JSON:
    price = r.store.prices.find(x.price)
    return {
        "id": x.id,
        "object": "invoiceitem",
        "amount": x.amount,
        "currency": "brl",
        "customer": x.customer,
        "date": x.created,
        "description": x.description,
        "discountable": True,
        "invoice": x.invoice,
        "livemode": False,
        "metadata": dict(x.metadata),
        "parent": None
        if x.subscription is None
        else {
            "type": "subscription_details",
            "subscription_details": {
                "subscription": x.subscription,
                "subscription_item": x.subscription_item,
            },
        },
        "period": {"start": x.period_start, "end": x.period_end},
        "pricing": {
            "type": "price_details",
            "price_details": {
                "price": x.price,
                "product": price.product if price is not None else None,
            },
            "unit_amount_decimal": str(price.unit_amount) if price is not None else None,
        },
        "proration": x.proration,
        "quantity": x.quantity,
        "quantity_decimal": str(x.quantity),
        "tax_rates": [r.tax_rate_by_id(t) for t in x.tax_rates],
    }


def invoice_payments(inv: Invoice) -> list[JSON]:
    """The invoice's payments (``invoice_payment`` objects): its default one, once a
    PaymentIntent was made for it."""
    if inv.payment_intent is None:
        return []
    return [
        {
            "id": invoice_payment_id(inv.payment_intent),
            "object": "invoice_payment",
            "amount_paid": inv.amount_paid if inv.status == "paid" else None,
            "amount_requested": inv.amount_due,
            "created": inv.created,
            "currency": inv.currency,
            "invoice": inv.id,
            "is_default": True,
            "livemode": False,
            "payment": {"type": "payment_intent", "payment_intent": inv.payment_intent},
            "status": "paid" if inv.status == "paid" else "open",
            "status_transitions": {"canceled_at": None, "paid_at": inv.paid_at},
        }
    ]


def invoice_payment_id(payment_intent_id: str) -> str:
    return "inpay_" + payment_intent_id.removeprefix("pi_")


def invoice_payments_list(inv: Invoice) -> JSON:
    return list_object(invoice_payments(inv), f"/v1/invoice_payments?invoice={inv.id}")


def payment_intent(r: Renderer, pi: PaymentIntent) -> JSON:
    method = r.store.payment_methods.find(pi.payment_method)
    method_type = method.type if method is not None else "card"
    return {
        "id": pi.id,
        "object": "payment_intent",
        "amount": pi.amount,
        "amount_capturable": 0,
        "amount_received": pi.amount if pi.status == "succeeded" else 0,
        "automatic_payment_methods": None,
        "canceled_at": None,
        "cancellation_reason": None,
        "capture_method": "automatic",
        "client_secret": f"{pi.id}_secret_{pi.id[3:][::-1]}",
        "confirmation_method": "automatic",
        "created": pi.created,
        "currency": pi.currency,
        "customer": pi.customer,
        "description": pi.description,
        "last_payment_error": _payment_error(r, pi.last_payment_error),
        "latest_charge": pi.latest_charge,
        "livemode": False,
        "metadata": dict(pi.metadata),
        "next_action": pi.next_action,
        "payment_method": pi.payment_method,
        "payment_method_types": [method_type],
        "setup_future_usage": None,
        "status": pi.status,
    }


def _payment_error(r: Renderer, error: JSON | None) -> JSON | None:
    """The error with its payment method as a whole object, as Stripe sends it."""
    if error is None:
        return None
    method = r.store.payment_methods.find(str(error.get("payment_method")))
    return {**error, "payment_method": r.payment_method(method) if method else None}


def charge(r: Renderer, ch: Charge) -> JSON:
    method = r.store.payment_methods.find(ch.payment_method)
    succeeded = ch.status == "succeeded"
    if ch.method_type == "boleto":
        details: JSON = {"type": "boleto", "boleto": {"tax_id": "00000000000"}}
    else:
        details = {
            "type": "card",
            "card": {
                "brand": method.brand if method else "visa",
                "last4": method.last4 if method else "4242",
                "exp_month": method.exp_month if method else 12,
                "exp_year": method.exp_year if method else 2034,
                "country": "BR",
                "funding": "credit",
                "network": method.brand if method else "visa",
            },
        }
    refunds = [x for x in r.store.refunds if x.charge == ch.id]
    return {
        "id": ch.id,
        "object": "charge",
        "amount": ch.amount,
        "amount_captured": ch.amount if succeeded else 0,
        "amount_refunded": ch.amount_refunded,
        "balance_transaction": None,
        "billing_details": {"address": None, "email": None, "name": None, "phone": None},
        "calculated_statement_descriptor": "PEEPERS",
        "captured": succeeded,
        "created": ch.created,
        "currency": ch.currency,
        "customer": ch.customer,
        "description": ch.description,
        "disputed": ch.disputed,
        "failure_code": ch.failure_code,
        "failure_message": ch.failure_message,
        "livemode": False,
        "metadata": dict(ch.metadata),
        "outcome": _outcome(ch),
        "paid": succeeded,
        "payment_intent": ch.payment_intent,
        "payment_method": ch.payment_method,
        "payment_method_details": details,
        "receipt_url": f"{r.base_url}/receipt/{ch.id}",
        "refunded": ch.refunded,
        "refunds": list_object(
            [refund(x) for x in reversed(refunds)], f"/v1/charges/{ch.id}/refunds"
        ),
        "status": ch.status,
    }


def _outcome(ch: Charge) -> JSON:
    if ch.status == "succeeded":
        return {
            "network_status": "approved_by_network",
            "reason": None,
            "risk_level": "normal",
            "seller_message": "Payment complete.",
            "type": "authorized",
        }
    return {
        "network_status": "declined_by_network",
        "reason": "generic_decline",
        "risk_level": "normal",
        "seller_message": "The bank did not return any further details with this decline.",
        "type": "issuer_declined",
    }


def refund(x: Refund) -> JSON:
    return {
        "id": x.id,
        "object": "refund",
        "amount": x.amount,
        "balance_transaction": None,
        "charge": x.charge,
        "created": x.created,
        "currency": x.currency,
        "destination_details": {"type": "card", "card": {"type": "refund"}},
        "metadata": dict(x.metadata),
        "payment_intent": x.payment_intent,
        "reason": x.reason,
        "status": x.status,
    }


def dispute(x: Dispute) -> JSON:
    return {
        "id": x.id,
        "object": "dispute",
        "amount": x.amount,
        "balance_transactions": [],
        "charge": x.charge,
        "created": x.created,
        "currency": x.currency,
        "enhanced_eligibility_types": [],
        "evidence": _no_evidence(),
        "evidence_details": {
            "due_by": x.created + 7 * 86400,
            "enhanced_eligibility": {},
            "has_evidence": False,
            "past_due": False,
            "submission_count": 0,
            "submission_method": "not_submitted",
        },
        "is_charge_refundable": False,
        "livemode": False,
        "metadata": dict(x.metadata),
        "payment_intent": x.payment_intent,
        "reason": x.reason,
        "status": x.status,
    }


_EVIDENCE_FIELDS = (
    "access_activity_log",
    "billing_address",
    "cancellation_policy",
    "cancellation_policy_disclosure",
    "cancellation_rebuttal",
    "customer_communication",
    "customer_email_address",
    "customer_name",
    "customer_purchase_ip",
    "customer_signature",
    "duplicate_charge_documentation",
    "duplicate_charge_explanation",
    "duplicate_charge_id",
    "product_description",
    "receipt",
    "refund_policy",
    "refund_policy_disclosure",
    "refund_refusal_explanation",
    "service_date",
    "service_documentation",
    "shipping_address",
    "shipping_carrier",
    "shipping_date",
    "shipping_documentation",
    "shipping_tracking_number",
    "uncategorized_file",
    "uncategorized_text",
)


def _no_evidence() -> JSON:
    """A new dispute's evidence: nothing submitted yet."""
    return {"enhanced_evidence": {}, **dict.fromkeys(_EVIDENCE_FIELDS)}
