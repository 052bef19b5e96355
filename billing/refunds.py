"""Refunds staff make from admin: full or partial, with a reason, recorded, idempotent.

The ``Refund`` row is written first with the form's ``request_id`` (unique), and the Stripe call
carries that id as its idempotency key: a double submit or a retry after a timeout is one
refund. Boleto payments cannot be refunded through Stripe (billing-lgpd.md §A2): they are
refused with an explanation, and the money goes back by bank transfer outside Stripe.
"""

from __future__ import annotations

import logging
import uuid

from django.db import IntegrityError, transaction

from billing.errors import RefundNotAllowed, StripeRejected, StripeUnavailable
from billing.invoices import charge_sync, invoice_refresh
from billing.models import InvoiceRecord, Refund, RefundReason, RefundStatus
from billing.stripe_api import idempotency, stripe_call
from compliance.audit.models import AuditAction
from compliance.audit.services import Actor, audit_record
from core.money import brl

logger = logging.getLogger(__name__)

BOLETO_EXPLANATION = (
    "This invoice was paid by boleto, which Stripe cannot refund. Return the money by bank "
    "transfer (PIX or TED) to the customer and record it in the store's notes."
)


def refund_create(
    *,
    invoice: InvoiceRecord,
    amount_cents: int,
    reason: RefundReason,
    note: str,
    requested_by: str,
    request_id: uuid.UUID,
) -> Refund:
    """Refund ``amount_cents`` of a paid invoice; one refund per ``request_id``."""
    existing = Refund.objects.filter(request_id=request_id).first()
    if existing is not None:
        return refund_retry(refund=existing)
    if invoice.status == "paid" and not invoice.charge_id:
        invoice = invoice_refresh(record=invoice)  # stored before its charge was known
    if invoice.status != "paid" or not invoice.charge_id:
        raise RefundNotAllowed("Only a paid invoice can be refunded.")
    charge = charge_sync(charge_id=invoice.charge_id)
    invoice.refresh_from_db()
    if invoice.payment_method_type == "boleto":
        raise RefundNotAllowed(BOLETO_EXPLANATION)
    if amount_cents <= 0:
        raise RefundNotAllowed("The amount must be positive.")
    refundable = int(charge.get("amount") or 0) - int(charge.get("amount_refunded") or 0)
    if amount_cents > refundable:
        raise RefundNotAllowed(f"At most {brl(refundable)} of this invoice can still be refunded.")
    try:
        with transaction.atomic():
            refund = Refund.objects.create(
                request_id=request_id,
                tenant=invoice.tenant,
                invoice=invoice,
                amount_cents=amount_cents,
                reason=reason,
                note=note,
                requested_by=requested_by,
            )
    except IntegrityError:
        return Refund.objects.get(request_id=request_id)
    params = {
        "charge": invoice.charge_id,
        "amount": amount_cents,
        "reason": str(reason),
        "metadata": {"peepers_refund": str(request_id), "requested_by": requested_by},
    }
    try:
        created = stripe_call(
            lambda c: c.v1.refunds.create(
                params=params,  # type: ignore[arg-type]
                options=idempotency("refund", request_id),  # type: ignore[arg-type]
            ),
            what="refund create",
        )
    except StripeUnavailable:
        # The row stays pending; submitting the same form again retries with the same key.
        Refund.objects.filter(pk=refund.pk).update(error="Stripe did not answer; not confirmed.")
        raise
    except StripeRejected as exc:
        Refund.objects.filter(pk=refund.pk).update(
            status=RefundStatus.FAILED, error=exc.message[:500]
        )
        raise RefundNotAllowed(exc.message) from exc
    Refund.objects.filter(pk=refund.pk).update(
        stripe_refund_id=str(created["id"]),
        status=str(created.get("status") or RefundStatus.PENDING),
        error="",
    )
    charge_sync(charge_id=invoice.charge_id)
    logger.info("refund %s of %s by %s", created["id"], brl(amount_cents), requested_by)
    refund.refresh_from_db()
    audit_record(
        action=AuditAction.REFUND,
        actor=Actor.staff(email=requested_by),
        tenant=invoice.tenant,
        obj=refund,
        details={"invoice": invoice.pk, "amount_cents": amount_cents, "reason": str(reason)},
    )
    return refund


def refund_retry(*, refund: Refund) -> Refund:
    """Send a pending refund again (same idempotency key): for one Stripe never confirmed."""
    if refund.stripe_refund_id or refund.status != RefundStatus.PENDING:
        return refund
    params = {
        "charge": refund.invoice.charge_id,
        "amount": refund.amount_cents,
        "reason": refund.reason,
        "metadata": {"peepers_refund": str(refund.request_id), "requested_by": refund.requested_by},
    }
    created = stripe_call(
        lambda c: c.v1.refunds.create(
            params=params,  # type: ignore[arg-type]
            options=idempotency("refund", refund.request_id),  # type: ignore[arg-type]
        ),
        what="refund create",
    )
    Refund.objects.filter(pk=refund.pk).update(
        stripe_refund_id=str(created["id"]),
        status=str(created.get("status") or "pending"),
        error="",
    )
    charge_sync(charge_id=refund.invoice.charge_id)
    refund.refresh_from_db()
    return refund
