"""Payments: a PaymentIntent and a Charge per attempt, refunds and disputes.

How a payment method behaves comes from the test token it was made from (customers.py):
``succeeds``, ``declines`` (``card_declined``), ``requires_action`` (3-D Secure: off-session
attempts stop at ``requires_action``; on-session ones — the hosted checkout, portal and invoice
pages — count the challenge as passed) and ``boleto`` (``processing`` until the admin pays or
expires the voucher; no refunds, no disputes, as in Stripe).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from doubles.stripe.errors import InvalidRequest
from doubles.stripe.records import Charge, Dispute, PaymentIntent, PaymentMethod, Refund
from doubles.stripe.state import EmulatorState

Outcome = Literal["succeeded", "declined", "requires_action", "processing"]

DECLINE_MESSAGE = "Your card was declined."
AUTHENTICATION_MESSAGE = "Your card was declined. This transaction requires authentication."


@dataclass(frozen=True)
class Attempt:
    outcome: Outcome
    payment_intent: PaymentIntent
    charge: Charge | None


def payment_attempt(
    state: EmulatorState,
    *,
    amount: int,
    customer: str | None,
    method: PaymentMethod,
    invoice: str | None,
    off_session: bool,
    description: str | None = None,
) -> Attempt:
    """Create the PaymentIntent for one attempt and settle it as ``method`` behaves."""
    now = state.now()
    intent = state.store.payment_intents.add(
        PaymentIntent(
            id=state.new_id("pi_"),
            created=now,
            seq=state.next_seq(),
            amount=amount,
            customer=customer,
            invoice=invoice,
            payment_method=method.id,
            status="processing",
            description=description,
        )
    )
    state.emit("payment_intent.created", intent)
    if method.behaviour == "boleto":
        intent.next_action = {
            "type": "boleto_display_details",
            "boleto_display_details": {
                "expires_at": now + 3 * 86400,
                "hosted_voucher_url": f"{state.base_url}/boleto/{intent.id}",
                "number": "23790.00000 00000.000000 00000.000000 0 00000000000000",
                "pdf": f"{state.base_url}/boleto/{intent.id}",
            },
        }
        state.emit("payment_intent.processing", intent)
        return Attempt("processing", intent, None)
    if method.behaviour == "requires_action" and off_session:
        intent.status = "requires_action"
        intent.next_action = {
            "type": "use_stripe_sdk",
            "use_stripe_sdk": {"type": "three_d_secure_redirect"},
        }
        intent.last_payment_error = _card_error(
            "authentication_required", AUTHENTICATION_MESSAGE, method, None, decline=None
        )
        state.emit("payment_intent.requires_action", intent)
        return Attempt("requires_action", intent, None)
    succeeded = method.behaviour != "declines"
    charge = charge_create(state, intent=intent, method=method, succeeded=succeeded)
    if succeeded:
        intent.status = "succeeded"
        intent.next_action = None
        intent.last_payment_error = None
        state.emit("charge.succeeded", charge)
        state.emit("payment_intent.succeeded", intent)
        return Attempt("succeeded", intent, charge)
    intent.status = "requires_payment_method"
    intent.last_payment_error = _card_error(
        "card_declined", DECLINE_MESSAGE, method, charge.id, decline="generic_decline"
    )
    state.emit("charge.failed", charge)
    state.emit("payment_intent.payment_failed", intent)
    return Attempt("declined", intent, charge)


def charge_create(
    state: EmulatorState, *, intent: PaymentIntent, method: PaymentMethod, succeeded: bool
) -> Charge:
    charge = state.store.charges.add(
        Charge(
            id=state.new_id("ch_"),
            created=state.now(),
            seq=state.next_seq(),
            amount=intent.amount,
            customer=intent.customer,
            invoice=intent.invoice,
            payment_intent=intent.id,
            payment_method=method.id,
            method_type=method.type,
            status="succeeded" if succeeded else "failed",
            failure_code=None if succeeded else "card_declined",
            failure_message=None if succeeded else DECLINE_MESSAGE,
            description=intent.description,
        )
    )
    intent.latest_charge = charge.id
    return charge


def _card_error(
    code: str, message: str, method: PaymentMethod, charge: str | None, *, decline: str | None
) -> dict[str, object]:
    return {
        "type": "card_error",
        "code": code,
        "decline_code": decline,
        "message": message,
        "charge": charge,
        "payment_method": method.id,  # rendered in full (render_payments.payment_intent)
    }


def boleto_settle(state: EmulatorState, *, intent: PaymentIntent, paid: bool) -> Attempt:
    """The voucher is paid (a succeeded charge) or expires unpaid."""
    if intent.status != "processing":
        raise InvalidRequest(
            f"PaymentIntent {intent.id} is {intent.status}, not a boleto awaiting payment.",
            param="payment_intent",
        )
    method = state.store.payment_methods.get(str(intent.payment_method))
    intent.next_action = None
    if paid:
        charge = charge_create(state, intent=intent, method=method, succeeded=True)
        intent.status = "succeeded"
        state.emit("charge.succeeded", charge)
        state.emit("payment_intent.succeeded", intent)
        return Attempt("succeeded", intent, charge)
    intent.status = "requires_payment_method"
    intent.last_payment_error = {
        "type": "invalid_request_error",
        "code": "payment_intent_payment_attempt_expired",
        "message": "The boleto voucher expired before it was paid.",
        "payment_method": method.id,
    }
    state.emit("payment_intent.payment_failed", intent)
    return Attempt("declined", intent, None)


BOLETO_NOT_REFUNDABLE = (
    "Boleto payments do not support refunds. Return the money to the customer outside "
    "Stripe (for example by bank transfer)."
)


def refundable_charge(state: EmulatorState, intent: PaymentIntent) -> Charge:
    """The charge a refund of ``payment_intent`` would reverse."""
    method = state.store.payment_methods.find(intent.payment_method)
    if method is not None and method.type == "boleto":
        raise InvalidRequest(
            BOLETO_NOT_REFUNDABLE, param="payment_intent", code="charge_not_refundable"
        )
    charge = state.store.charges.find(intent.latest_charge)
    if charge is None or intent.status != "succeeded":
        raise InvalidRequest(
            f"This PaymentIntent ({intent.id}) does not have a successful charge to refund.",
            param="payment_intent",
            code="charge_not_refundable",
        )
    return charge


def refund_create(
    state: EmulatorState,
    *,
    charge: Charge,
    amount: int | None,
    reason: str | None,
    metadata: dict[str, str],
) -> Refund:
    """Refund all of a charge or part of it; Stripe's refusals are 400s."""
    if charge.method_type == "boleto":
        raise InvalidRequest(
            BOLETO_NOT_REFUNDABLE,
            param="charge",
            code="charge_not_refundable",
        )
    if charge.status != "succeeded":
        raise InvalidRequest(
            f"Charge {charge.id} has not succeeded and cannot be refunded.", param="charge"
        )
    if charge.disputed:
        raise InvalidRequest(
            f"Charge {charge.id} has been disputed; respond to the dispute instead.",
            param="charge",
            code="charge_disputed",
        )
    remaining = charge.amount - charge.amount_refunded
    if remaining <= 0:
        raise InvalidRequest(
            f"Charge {charge.id} has already been refunded.", code="charge_already_refunded"
        )
    value = remaining if amount is None else amount
    if value <= 0:
        raise InvalidRequest("Refund amount must be positive.", param="amount")
    if value > remaining:
        raise InvalidRequest(
            f"Refund amount (R${value / 100:.2f}) is greater than unrefunded amount on charge "
            f"(R${remaining / 100:.2f})",
            param="amount",
            code="amount_too_large",
        )
    before = state.render(charge)
    refund = state.store.refunds.add(
        Refund(
            id=state.new_id("re_"),
            created=state.now(),
            seq=state.next_seq(),
            amount=value,
            charge=charge.id,
            payment_intent=charge.payment_intent,
            reason=reason,
            metadata=metadata,
        )
    )
    charge.amount_refunded += value
    state.emit_changes("charge.refunded", charge, before)
    state.emit("refund.created", refund)
    return refund


def dispute_create(state: EmulatorState, *, charge: Charge) -> Dispute:
    if charge.method_type == "boleto":
        raise InvalidRequest("Boleto payments cannot be disputed.", param="charge")
    if charge.status != "succeeded" or charge.disputed:
        raise InvalidRequest(
            f"Charge {charge.id} is not a succeeded, undisputed charge.", param="charge"
        )
    dispute = state.store.disputes.add(
        Dispute(
            id=state.new_id("dp_"),
            created=state.now(),
            seq=state.next_seq(),
            amount=charge.amount - charge.amount_refunded,
            charge=charge.id,
            payment_intent=charge.payment_intent,
        )
    )
    charge.disputed = True
    state.emit("charge.dispute.created", dispute)
    return dispute
