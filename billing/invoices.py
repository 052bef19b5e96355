"""Stripe's invoices and charges into ``InvoiceRecord``: what the billing page and refunds use.

Invoices are read as the pinned API version (``2026-10-28.endive``) serves them: an invoice
names its subscription in ``parent.subscription_details`` and says how it was paid only through
its invoice payments (``payments``, included when expanded, or ``/v1/invoice_payments``); a
charge names its PaymentIntent, whose invoice payment leads back to the invoice.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.utils import timezone

from billing.models import BillingCustomer, InvoiceRecord
from billing.stripe_api import JSON, moment, obj_id, stripe_call
from tenants.models import Tenant

INVOICES_PAGE = 100


def invoice_store(*, tenant: Tenant | None, invoice: JSON) -> InvoiceRecord | None:
    """Upsert one invoice; drafts and previews (no id or number yet) are not listed."""
    invoice_id = str(invoice.get("id") or "")
    if not invoice_id or invoice.get("status") == "draft":
        return None
    existing = InvoiceRecord.objects.filter(stripe_invoice_id=invoice_id).first()
    payment_intent_id, charge_id = _paid_with(invoice, existing)
    values: dict[str, Any] = {
        "tenant": tenant,
        "stripe_subscription_id": invoice_subscription(invoice),
        "number": str(invoice.get("number") or ""),
        "status": str(invoice.get("status") or ""),
        "billing_reason": str(invoice.get("billing_reason") or ""),
        "currency": str(invoice.get("currency") or "brl"),
        "subtotal": int(invoice.get("subtotal") or 0),
        "tax": _taxes(invoice),
        "total": int(invoice.get("total") or 0),
        "amount_paid": int(invoice.get("amount_paid") or 0),
        "amount_remaining": int(invoice.get("amount_remaining") or 0),
        "attempt_count": int(invoice.get("attempt_count") or 0),
        "hosted_invoice_url": str(invoice.get("hosted_invoice_url") or ""),
        "invoice_pdf": str(invoice.get("invoice_pdf") or ""),
        "charge_id": charge_id,
        "payment_intent_id": payment_intent_id,
        "period_start": moment(invoice.get("period_start")),
        "period_end": moment(invoice.get("period_end")),
        "stripe_created": moment(invoice.get("created")) or timezone.now(),
        "synced_at": timezone.now(),
    }
    record, _ = InvoiceRecord.objects.update_or_create(
        stripe_invoice_id=invoice_id, defaults=values
    )
    return record


def invoice_subscription(invoice: JSON) -> str:
    """The subscription an invoice (or an upcoming-invoice forecast) bills, if any."""
    details = (invoice.get("parent") or {}).get("subscription_details") or {}
    return obj_id(details.get("subscription"))


# Within one webhook event, an invoice is read from Stripe once: the mirror, the invoice record
# and the e-mail about it all look at the same invoice (``invoices_read_once``).
_read: ContextVar[dict[str, JSON] | None] = ContextVar("billing_invoices_read", default=None)


@contextmanager
def invoices_read_once() -> Iterator[None]:
    """Inside this block each invoice is fetched at most once (the first answer is reused)."""
    token = _read.set({})
    try:
        yield
    finally:
        _read.reset(token)


def invoice_fetch(invoice_id: str) -> JSON:
    """An invoice with its payments: an includable field, only there when expanded."""
    read = _read.get()
    if read is not None and invoice_id in read:
        return read[invoice_id]
    invoice = stripe_call(
        lambda c: c.v1.invoices.retrieve(invoice_id, params={"expand": ["payments"]}),
        what="invoice fetch",
    )
    if read is not None:
        read[invoice_id] = invoice
    return invoice


def _payments(invoice: JSON) -> list[JSON]:
    """The invoice's payments: the included ones when they are all there (Stripe includes
    "the first handful"), else the list endpoint's."""
    included = invoice.get("payments")
    if isinstance(included, dict) and not included.get("has_more"):
        return list(included.get("data") or [])
    invoice_id = str(invoice["id"])
    listed = stripe_call(
        lambda c: c.v1.invoice_payments.list(params={"invoice": invoice_id, "limit": 100}),
        what="invoice payment list",
    )
    return list(listed.get("data") or [])


def _paid_with(invoice: JSON, existing: InvoiceRecord | None) -> tuple[str, str]:
    """The PaymentIntent paying (or that paid) the invoice, and the charge once it is paid.

    A paid invoice's charge never changes, so a row that has both is not asked again; an
    invoice that has not been collected (draft, void) asks nothing.
    """
    if existing is not None and existing.charge_id and existing.payment_intent_id:
        return existing.payment_intent_id, existing.charge_id
    status = invoice.get("status")
    if status not in ("open", "paid"):
        return (existing.payment_intent_id, existing.charge_id) if existing else ("", "")
    payments = _payments(invoice)
    chosen = next((p for p in payments if p.get("status") == "paid"), None)
    if chosen is None:
        chosen = next((p for p in payments if p.get("status") == "open"), None)
    if chosen is None:
        return "", ""
    inner = chosen.get("payment") or {}
    intent_id = obj_id(inner.get("payment_intent"))
    charge_id = obj_id(inner.get("charge"))  # paid by a charge that has no PaymentIntent
    if status != "paid":
        return intent_id, ""
    if intent_id and not charge_id:
        intent = stripe_call(
            lambda c: c.v1.payment_intents.retrieve(intent_id), what="payment intent fetch"
        )
        charge_id = obj_id(intent.get("latest_charge"))
    return intent_id, charge_id


def _taxes(invoice: JSON) -> int:
    return sum(int(t.get("amount") or 0) for t in invoice.get("total_taxes") or [])


def invoice_sync(*, customer: BillingCustomer, invoice_id: str) -> InvoiceRecord | None:
    invoice = invoice_fetch(invoice_id)
    if obj_id(invoice.get("customer")) != customer.stripe_customer_id:
        return None
    record = invoice_store(tenant=customer.tenant, invoice=invoice)
    if record is not None and record.charge_id:
        charge_sync(charge_id=record.charge_id)
    return record


def invoices_sync(*, customer: BillingCustomer) -> int:
    """Every invoice of the customer (newest first, all pages); how many were stored."""
    stored = 0
    starting_after: str | None = None
    customer_id = customer.stripe_customer_id
    while True:
        params: dict[str, Any] = {"customer": customer_id, "limit": INVOICES_PAGE}
        if starting_after:
            params["starting_after"] = starting_after
        page = stripe_call(
            lambda c, p=params: c.v1.invoices.list(params=p),  # type: ignore[misc]
            what="invoice list",
        )
        data = list(page.get("data") or [])
        for invoice in data:
            stored += invoice_store(tenant=customer.tenant, invoice=invoice) is not None
        if not page.get("has_more") or not data:
            return stored
        starting_after = str(data[-1]["id"])


def invoice_refresh(*, record: InvoiceRecord) -> InvoiceRecord:
    """One stored invoice fetched again (with its payments) and written."""
    stored = invoice_store(tenant=record.tenant, invoice=invoice_fetch(record.stripe_invoice_id))
    return stored if stored is not None else record


def charge_sync(*, charge_id: str, customer: BillingCustomer | None = None) -> JSON:
    """Refunded amount and payment method type of a charge onto the invoice it paid.

    The row is found by the charge; failing that (an invoice stored before its charge was
    known), by the charge's PaymentIntent through the invoice payments, and, given the
    customer, an invoice never stored is fetched whole.
    """
    charge = stripe_call(lambda c: c.v1.charges.retrieve(charge_id), what="charge fetch")
    details = charge.get("payment_method_details") or {}
    values: dict[str, Any] = {
        "amount_refunded": int(charge.get("amount_refunded") or 0),
        "payment_method_type": str(details.get("type") or ""),
        "synced_at": timezone.now(),
    }
    if InvoiceRecord.objects.filter(charge_id=charge_id).update(**values):
        return charge
    intent_id = obj_id(charge.get("payment_intent"))
    invoice_id = _invoice_paid_by(intent_id) if intent_id else ""
    if not invoice_id:
        return charge
    found = InvoiceRecord.objects.filter(stripe_invoice_id=invoice_id, charge_id="").update(
        charge_id=charge_id, payment_intent_id=intent_id, **values
    )
    if not found and customer is not None:
        invoice_sync(customer=customer, invoice_id=invoice_id)
    return charge


def _invoice_paid_by(intent_id: str) -> str:
    """The invoice a PaymentIntent paid, through its invoice payment."""
    listed = stripe_call(
        lambda c: c.v1.invoice_payments.list(
            params={"payment": {"type": "payment_intent", "payment_intent": intent_id}}
        ),
        what="invoice payment lookup",
    )
    paid = [p for p in listed.get("data") or [] if p.get("status") == "paid"]
    return obj_id(paid[0].get("invoice")) if paid else ""
