"""Stripe JSON for payments: PaymentIntents, charges, refunds and disputes.

Shapes of the pinned API version (``2026-10-28.endive``): a charge and a PaymentIntent name no
invoice (the invoice's payments lead to them, render_money.py); a dispute carries its
``evidence`` (empty until submitted) and ``evidence_details``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from doubles.stripe.records import Charge, Dispute, PaymentIntent, Refund
from doubles.stripe.render_money import list_object

if TYPE_CHECKING:
    from doubles.stripe.render import Renderer

JSON = dict[str, object]


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
