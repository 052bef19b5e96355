"""Customers, their payment methods (from Stripe's test tokens) and customer search.

Test tokens: ``pm_card_visa`` succeeds, ``pm_card_chargeDeclined`` (and Stripe's
``pm_card_chargeCustomerFail``) declines with ``card_declined``, ``pm_card_authenticationRequired``
needs 3-D Secure off-session, ``pm_boleto`` pays by boleto. Attaching a token makes a real
``pm_…`` for the customer that behaves the same. Note: real Stripe refuses to *attach*
``pm_card_chargeDeclined`` (it validates the card); the emulator attaches it so that dunning can
be exercised with one token — ``pm_card_chargeCustomerFail`` is Stripe's faithful equivalent.
"""

from __future__ import annotations

import re

from doubles.stripe.errors import InvalidRequest
from doubles.stripe.params import metadata_merged
from doubles.stripe.records import Behaviour, Customer, PaymentMethod
from doubles.stripe.state import EmulatorState

# token → (type, behaviour, brand, last4)
TEST_TOKENS: dict[str, tuple[str, Behaviour, str, str]] = {
    "pm_card_visa": ("card", "succeeds", "visa", "4242"),
    "pm_card_mastercard": ("card", "succeeds", "mastercard", "4444"),
    "pm_card_chargeDeclined": ("card", "declines", "visa", "0002"),
    "pm_card_chargeCustomerFail": ("card", "declines", "visa", "0341"),
    "pm_card_authenticationRequired": ("card", "requires_action", "visa", "3184"),
    "pm_boleto": ("boleto", "boleto", "boleto", ""),
}


def customer_create(
    state: EmulatorState,
    *,
    email: str | None,
    name: str | None,
    description: str | None = None,
    phone: str | None = None,
    metadata: dict[str, str],
) -> Customer:
    customer = state.store.customers.add(
        Customer(
            id=state.new_id("cus_"),
            created=state.now(),
            seq=state.next_seq(),
            email=email,
            name=name,
            description=description,
            phone=phone,
            metadata=metadata,
        )
    )
    state.emit("customer.created", customer)
    return customer


def customer_update(
    state: EmulatorState,
    customer: Customer,
    *,
    fields: dict[str, str | None],
    metadata: dict[str, str] | None,
    default_payment_method: str | None,
) -> Customer:
    """``fields``: email/name/description/phone (``""`` clears); ``default_payment_method``
    ``""`` clears, a ``pm_`` must be attached to this customer."""
    before = state.render(customer)
    for name, value in fields.items():
        setattr(customer, name, value or None)
    customer.metadata = metadata_merged(customer.metadata, metadata)
    if default_payment_method is not None:
        customer.default_payment_method = owned_method(
            state,
            customer,
            default_payment_method,
            param="invoice_settings[default_payment_method]",
        )
    state.emit_changes("customer.updated", customer, before)
    return customer


def owned_method(
    state: EmulatorState, customer: Customer, method_id: str, *, param: str
) -> str | None:
    if method_id == "":
        return None
    method = state.store.payment_methods.find(method_id)
    if method is None or method.customer != customer.id:
        raise InvalidRequest(
            f"The customer does not have a payment method with the ID {method_id}. The payment "
            "method must be attached to the customer.",
            param=param,
            code="resource_missing",
        )
    return method.id


def payment_method_attach(
    state: EmulatorState, *, source: str, customer: Customer
) -> PaymentMethod:
    """Attach a test token (a new ``pm_…`` each time) or an existing unattached method."""
    token = TEST_TOKENS.get(source)
    if token is not None:
        kind, behaviour, brand, last4 = token
        method = state.store.payment_methods.add(
            PaymentMethod(
                id=state.new_id("pm_"),
                created=state.now(),
                seq=state.next_seq(),
                type="boleto" if kind == "boleto" else "card",
                behaviour=behaviour,
                brand=brand,
                last4=last4,
            )
        )
    else:
        method = state.store.payment_methods.get(source, param="payment_method")
        if method.customer == customer.id:
            return method
        if method.customer is not None:
            raise InvalidRequest(
                f"The payment method {source} is already attached to another customer.",
                param="payment_method",
            )
    method.customer = customer.id
    state.emit("payment_method.attached", method)
    return method


def method_or_token(state: EmulatorState, source: str, *, param: str) -> PaymentMethod:
    """A ``pm_…`` or a test token, unattached (for payments that attach nothing)."""
    if source in TEST_TOKENS:
        kind, behaviour, brand, last4 = TEST_TOKENS[source]
        return PaymentMethod(
            id=source,
            created=state.now(),
            seq=0,
            type="boleto" if kind == "boleto" else "card",
            behaviour=behaviour,
            brand=brand,
            last4=last4,
        )
    return state.store.payment_methods.get(source, param=param)


_CLAUSE = re.compile(r"""^\s*(metadata\[['"]([^'"]+)['"]\]|[a-z_]+)\s*:\s*['"]([^'"]*)['"]\s*$""")


def customer_search(state: EmulatorState, query: str) -> list[Customer]:
    """Stripe's search language, the part Peepers uses: ``email:'…'``, ``name:'…'``,
    ``metadata['key']:'value'``, joined with ``AND``. Unlike Stripe, results are immediate
    (Stripe's search index lags writes by up to a minute)."""
    clauses: list[tuple[str, str | None, str]] = []
    for part in re.split(r"\s+AND\s+", query.strip()):
        match = _CLAUSE.match(part)
        if match is None:
            raise InvalidRequest(
                f"The emulator does not understand this search query: {query!r}. Supported: "
                "email:'…', name:'…', metadata['key']:'value', joined with AND.",
                param="query",
            )
        field, meta_key, value = match.groups()
        if meta_key is None and field not in ("email", "name", "phone", "description"):
            raise InvalidRequest(f"Field {field!r} is not searchable.", param="query")
        clauses.append((field, meta_key, value))

    def matches(customer: Customer) -> bool:
        for field, meta_key, value in clauses:
            found = customer.metadata.get(meta_key) if meta_key else getattr(customer, field)
            if found != value:
                return False
        return True

    return sorted(
        (c for c in state.store.customers if matches(c)), key=lambda c: c.seq, reverse=True
    )
