"""Stripe JSON for invoices: invoices, their lines, invoice items and invoice payments.

Shapes are those of the API version the SDK pins (``2026-10-28.endive``), held to the SDK's
typed resources by tests/doubles/stripe/test_contract.py: an invoice names its subscription in
``parent.subscription_details``, its lines carry ``pricing`` and ``parent.*.proration``, taxes are
``total_taxes``; how it was paid is in its invoice payments (``payments``, an includable field
rendered only when expanded, or ``/v1/invoice_payments``). PaymentIntents, charges, refunds
and disputes are in render_payments.py.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from doubles.stripe.records import Invoice, InvoiceItem, InvoiceLine, TaxAmount

if TYPE_CHECKING:
    from doubles.stripe.render import Renderer

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
