"""Checkout Sessions (subscription mode).

Completing a session (the hosted page, or ``POST /_emulator/checkout/<id>/complete``): attach the
card or boleto and make it the customer's default, create the subscription (trial from
``subscription_data``) with its first invoice and payment, then ``checkout.session.completed``.
A declined card changes nothing: the session stays open with the error (the page shows it).
Card payments on these pages are on-session, so ``pm_card_authenticationRequired`` passes.
"""

from __future__ import annotations

from dataclasses import dataclass

from doubles.stripe.clock import DAY
from doubles.stripe.customers import (
    TEST_TOKENS,
    customer_create,
    customer_update,
    payment_method_attach,
)
from doubles.stripe.errors import CardDeclined, InvalidRequest
from doubles.stripe.payments import DECLINE_MESSAGE
from doubles.stripe.records import CheckoutSession
from doubles.stripe.state import EmulatorState
from doubles.stripe.subscriptions import recurring_price, subscription_create

SESSION_LIFETIME = DAY
MIN_SESSION_LIFETIME = 30 * 60
PLACEHOLDER = "{CHECKOUT_SESSION_ID}"


@dataclass(frozen=True)
class SessionRequest:
    customer: str | None
    customer_email: str | None
    price: str
    quantity: int
    success_url: str
    cancel_url: str | None
    client_reference_id: str | None
    metadata: dict[str, str]
    trial_period_days: int | None
    subscription_metadata: dict[str, str]
    default_tax_rates: list[str]
    payment_method_types: list[str]
    allowed_payment_method_types: list[str] | None
    excluded_payment_method_types: list[str] | None
    payment_method_configuration: str | None
    payment_method_collection: str
    missing_payment_method: str
    allow_promotion_codes: bool
    expires_at: int | None


def session_create(state: EmulatorState, request: SessionRequest) -> CheckoutSession:
    now = state.now()
    if request.customer is not None:
        state.store.customers.get(request.customer, param="customer")
    recurring_price(state, request.price, param="line_items[0][price]")
    for rate in request.default_tax_rates:
        state.store.tax_rates.get(rate, param="subscription_data[default_tax_rates]")
    expires_at = request.expires_at or now + SESSION_LIFETIME
    if not now + MIN_SESSION_LIFETIME <= expires_at <= now + SESSION_LIFETIME:
        raise InvalidRequest(
            "expires_at must be between 30 minutes and 24 hours from now.", param="expires_at"
        )
    session = state.store.checkout_sessions.add(
        CheckoutSession(
            id=state.new_id("cs_test_"),
            created=now,
            seq=state.next_seq(),
            customer=request.customer,
            customer_email=request.customer_email,
            price=request.price,
            quantity=request.quantity,
            success_url=request.success_url.replace(PLACEHOLDER, "{id}"),
            cancel_url=request.cancel_url,
            client_reference_id=request.client_reference_id,
            metadata=request.metadata,
            trial_period_days=request.trial_period_days,
            subscription_metadata=request.subscription_metadata,
            default_tax_rates=request.default_tax_rates,
            payment_method_types=request.payment_method_types,
            allowed_payment_method_types=request.allowed_payment_method_types,
            excluded_payment_method_types=request.excluded_payment_method_types,
            payment_method_configuration=request.payment_method_configuration,
            payment_method_collection=request.payment_method_collection,
            missing_payment_method=request.missing_payment_method,
            allow_promotion_codes=request.allow_promotion_codes,
            expires_at=expires_at,
        )
    )
    session.success_url = session.success_url.replace("{id}", session.id)
    return session


def session_open(session: CheckoutSession) -> None:
    if session.status != "open":
        raise InvalidRequest(
            f"This Checkout Session is {session.status}; it can no longer be used.",
            code="checkout_session_not_open" if session.status == "complete" else "expired",
        )


def session_expire(state: EmulatorState, session: CheckoutSession) -> CheckoutSession:
    session_open(session)
    session.status = "expired"
    state.emit("checkout.session.expired", session)
    return session


def session_complete(
    state: EmulatorState, session: CheckoutSession, *, token: str | None
) -> CheckoutSession:
    """Pay with a test token (or none, for a trial that collects no payment method)."""
    session_open(session)
    if token is not None and token not in TEST_TOKENS:
        raise InvalidRequest(
            f"Use one of the test payment methods: {', '.join(sorted(TEST_TOKENS))}.",
            param="payment_method",
        )
    trial = bool(session.trial_period_days)
    if token is None and not (trial and session.payment_method_collection == "if_required"):
        raise InvalidRequest("A payment method is required.", param="payment_method")
    boleto = token is not None and TEST_TOKENS[token][1] == "boleto"
    accepted = session.payment_method_types
    if boleto and accepted and "boleto" not in accepted:
        raise InvalidRequest("This session does not accept boleto.", param="payment_method")
    if token is not None and TEST_TOKENS[token][1] == "declines":
        # The customer stays on the page to try another card; nothing is created.
        session.last_error = DECLINE_MESSAGE
        raise CardDeclined(DECLINE_MESSAGE)
    customer = state.store.customers.find(session.customer)
    if customer is None:
        customer = customer_create(state, email=session.customer_email, name=None, metadata={})
        session.customer = customer.id
    method = None
    if token is not None:
        method = payment_method_attach(state, source=token, customer=customer)
        customer_update(state, customer, fields={}, metadata=None, default_payment_method=method.id)
    price = state.store.prices.get(session.price)
    now = state.now()
    sub = subscription_create(
        state,
        customer=customer,
        price=price,
        quantity=session.quantity,
        trial_end=now + session.trial_period_days * DAY if session.trial_period_days else None,
        default_payment_method=None,
        default_tax_rates=list(session.default_tax_rates),
        metadata=dict(session.subscription_metadata),
        missing_payment_method=session.missing_payment_method,
        first_payment_method=method,
        off_session=False,
    )
    invoice = state.store.invoices.get(str(sub.latest_invoice))
    session.status = "complete"
    session.subscription = sub.id
    session.invoice = invoice.id
    session.last_error = None
    if invoice.status == "paid":
        session.payment_status = "no_payment_required" if invoice.amount_due == 0 else "paid"
    else:
        session.payment_status = "unpaid"
    state.emit("checkout.session.completed", session)
    return session
