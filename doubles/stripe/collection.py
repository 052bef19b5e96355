"""Collecting invoices and what their outcome does to the subscription (billing-lgpd.md §A2).

Payment method order, as Stripe retries: the subscription's ``default_payment_method``, then the
customer's ``invoice_settings.default_payment_method``. Renewal failures start dunning: retries
at ``EmulatorConfig.dunning_retry_days`` after the first failure; when the last one fails the
subscription becomes ``unpaid`` (or ``canceled``). Paying the latest invoice makes it ``active``.
"""

from __future__ import annotations

from typing import Literal

from doubles.stripe.errors import CardDeclined, InvalidRequest
from doubles.stripe.invoicing import (
    invoice_finalize,
    invoice_mark_paid,
    invoice_record_failure,
)
from doubles.stripe.payments import (
    AUTHENTICATION_MESSAGE,
    DECLINE_MESSAGE,
    boleto_settle,
    payment_attempt,
)
from doubles.stripe.records import Invoice, PaymentIntent, PaymentMethod, Subscription
from doubles.stripe.state import EmulatorState

CollectOutcome = Literal["succeeded", "declined", "requires_action", "processing", "no_method"]


def payment_method_for(
    state: EmulatorState, *, customer: str, subscription: Subscription | None
) -> PaymentMethod | None:
    chosen = subscription.default_payment_method if subscription else None
    if chosen is None:
        chosen = state.store.customers.get(customer).default_payment_method
    return state.store.payment_methods.find(chosen)


def invoice_collect(
    state: EmulatorState,
    invoice: Invoice,
    *,
    method: PaymentMethod | None = None,
    off_session: bool = True,
    automatic: bool = True,
    before: dict[str, object] | None = None,
) -> CollectOutcome:
    """Finalize if needed, then try to pay ``invoice``; the subscription follows the result.

    ``automatic`` marks attempts Stripe makes by itself (renewals, retries), which move the
    dunning ladder; a payment the app asks for (``POST /v1/invoices/{id}/pay``) does not.
    ``before`` is the subscription's snapshot when the caller changed it already (a renewal's
    new period), so one ``customer.subscription.updated`` carries both changes.
    """
    if invoice.status == "draft":
        invoice_finalize(state, invoice)
    if invoice.status == "paid":
        subscription_follow(state, invoice, "succeeded", automatic=automatic, before=before)
        return "succeeded"
    if invoice.status != "open":
        raise InvalidRequest(f"Invoice {invoice.id} is {invoice.status} and cannot be paid.")
    subscription = state.store.subscriptions.find(invoice.subscription)
    if method is None:
        method = payment_method_for(state, customer=invoice.customer, subscription=subscription)
    invoice.attempted = True
    invoice.attempt_count += 1
    if method is None:
        invoice_record_failure(state, invoice, action_required=False, automatic=automatic)
        subscription_follow(state, invoice, "no_method", automatic=automatic, before=before)
        return "no_method"
    attempt = payment_attempt(
        state,
        amount=invoice.amount_due,
        customer=invoice.customer,
        method=method,
        invoice=invoice.id,
        off_session=off_session,
        description="Subscription creation"
        if invoice.billing_reason == "subscription_create"
        else "Subscription update",
    )
    invoice.payment_intent = attempt.payment_intent.id
    if attempt.outcome == "succeeded":
        invoice_mark_paid(state, invoice, charge=attempt.charge.id if attempt.charge else None)
    elif attempt.outcome != "processing":
        invoice_record_failure(
            state,
            invoice,
            action_required=attempt.outcome == "requires_action",
            automatic=automatic,
        )
    subscription_follow(state, invoice, attempt.outcome, automatic=automatic, before=before)
    return attempt.outcome


def invoice_pay(
    state: EmulatorState,
    invoice: Invoice,
    *,
    method: PaymentMethod | None,
    paid_out_of_band: bool,
    off_session: bool,
) -> Invoice:
    """``POST /v1/invoices/{id}/pay``: a payment the app asks for, outside the dunning ladder.

    A decline is a 402 as in Stripe (the failed attempt stays recorded on the invoice).
    """
    if invoice.status == "paid":
        raise InvalidRequest("Invoice is already paid.", code="invoice_already_paid")
    if invoice.status not in ("draft", "open", "uncollectible"):
        raise InvalidRequest(
            f"This invoice can no longer be paid: it is {invoice.status}.",
            code="invoice_not_editable",
        )
    if invoice.status == "draft":
        invoice_finalize(state, invoice)
    if paid_out_of_band:
        if invoice.status != "paid":
            invoice_mark_paid(state, invoice, out_of_band=True)
        subscription_follow(state, invoice, "succeeded", automatic=False)
        return invoice
    subscription = state.store.subscriptions.find(invoice.subscription)
    if method is None:
        method = payment_method_for(state, customer=invoice.customer, subscription=subscription)
    if method is None and invoice.status != "paid":
        raise InvalidRequest(
            "This customer has no attached payment source or default payment method. Please "
            "consider adding a default payment method.",
            code="invoice_no_payment_method",
        )
    uncollectible = invoice.status == "uncollectible"
    if uncollectible:
        invoice.status = "open"
    outcome = invoice_collect(
        state, invoice, method=method, off_session=off_session, automatic=False
    )
    if outcome != "succeeded" and uncollectible:
        invoice.status = "uncollectible"
    intent = state.store.payment_intents.find(invoice.payment_intent)
    if outcome == "declined":
        raise CardDeclined(
            DECLINE_MESSAGE,
            charge=intent.latest_charge if intent else None,
            payment_intent=invoice.payment_intent,
        )
    if outcome == "requires_action":
        raise CardDeclined(
            AUTHENTICATION_MESSAGE,
            code="invoice_payment_intent_requires_action",
            decline_code="authentication_required",
            payment_intent=invoice.payment_intent,
        )
    return invoice


def subscription_follow(
    state: EmulatorState,
    invoice: Invoice,
    outcome: CollectOutcome,
    *,
    automatic: bool,
    before: dict[str, object] | None = None,
) -> None:
    """Move the invoice's subscription to the status its latest invoice's outcome implies."""
    sub = state.store.subscriptions.find(invoice.subscription)
    if sub is None or sub.latest_invoice != invoice.id:
        return
    if before is None:
        before = state.render(sub)
    trial_over = sub.trial_end is None or sub.trial_end <= state.now()
    if outcome == "succeeded":
        if sub.status in ("incomplete", "past_due", "unpaid") or (
            sub.status == "trialing" and trial_over
        ):
            sub.status = "active"
    elif outcome == "processing":
        if sub.status == "trialing" and trial_over:
            sub.status = "active"
    elif invoice.billing_reason != "subscription_create":
        if sub.status in ("active", "trialing"):
            sub.status = "past_due"
        exhausted = invoice.dunning_step >= len(state.config.dunning_retry_days)
        if automatic and sub.status == "past_due" and exhausted:
            if state.config.dunning_final_action == "canceled":
                subscription_end(state, sub, reason="payment_failed")
                return
            sub.status = "unpaid"
    state.emit_changes("customer.subscription.updated", sub, before)


def subscription_end(
    state: EmulatorState,
    sub: Subscription,
    *,
    reason: str,
    status: str = "canceled",
) -> None:
    """The subscription ends now: ``customer.subscription.deleted``."""
    now = state.now()
    sub.status = status
    sub.ended_at = now
    if sub.canceled_at is None or not sub.cancel_at_period_end:
        sub.canceled_at = now
    sub.cancellation_details = {**sub.cancellation_details, "reason": reason}
    for item in state.store.invoice_items:
        if item.subscription == sub.id and item.invoice is None:
            # Pending prorations die with the subscription (Stripe bills them only on request).
            state.store.invoice_items.discard(item.id)
    state.emit("customer.subscription.deleted", sub)


def boleto_outcome(state: EmulatorState, *, intent: PaymentIntent, paid: bool) -> None:
    """The admin settles a boleto: the invoice, the subscription and Checkout follow."""
    attempt = boleto_settle(state, intent=intent, paid=paid)
    invoice = state.store.invoices.find(intent.invoice)
    if invoice is None:
        return
    if paid:
        invoice_mark_paid(state, invoice, charge=attempt.charge.id if attempt.charge else None)
    else:
        invoice_record_failure(state, invoice, action_required=False, automatic=True)
    subscription_follow(state, invoice, attempt.outcome, automatic=True)
    for session in state.store.checkout_sessions:
        if session.invoice == invoice.id and session.status == "complete":
            if paid:
                session.payment_status = "paid"
                state.emit("checkout.session.async_payment_succeeded", session)
            else:
                state.emit("checkout.session.async_payment_failed", session)
