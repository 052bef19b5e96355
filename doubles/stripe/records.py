"""The emulator's objects as typed records; ``render.py`` turns them into Stripe's JSON shapes.

Every record has Stripe's ``id``, a ``created`` time from the emulator clock and a ``seq``: the
creation order, which lists sort on because many objects share one frozen second.
Amounts are integer centavos, currency ``brl``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

# How a payment method behaves when charged; test tokens map onto these (customers.py).
Behaviour = Literal["succeeds", "declines", "requires_action", "boleto"]


@dataclass(kw_only=True)
class Record:
    id: str
    created: int
    seq: int


@dataclass(kw_only=True)
class Product(Record):
    name: str
    description: str | None = None
    active: bool = True
    metadata: dict[str, str] = field(default_factory=dict)
    updated: int = 0


@dataclass(kw_only=True)
class Price(Record):
    product: str
    unit_amount: int
    currency: str = "brl"
    interval: str | None = None  # None: a one-time price
    interval_count: int = 1
    tax_behavior: str = "unspecified"
    lookup_key: str | None = None
    nickname: str | None = None
    active: bool = True
    metadata: dict[str, str] = field(default_factory=dict)


@dataclass(kw_only=True)
class TaxRate(Record):
    display_name: str
    percentage: float
    inclusive: bool
    country: str | None = None
    jurisdiction: str | None = None
    state: str | None = None
    description: str | None = None
    active: bool = True
    metadata: dict[str, str] = field(default_factory=dict)


@dataclass(kw_only=True)
class Customer(Record):
    email: str | None = None
    name: str | None = None
    description: str | None = None
    phone: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)
    default_payment_method: str | None = None
    # Negative is credit the customer holds (Stripe's sign), applied to the next invoices.
    balance: int = 0
    currency: str | None = None


@dataclass(kw_only=True)
class PaymentMethod(Record):
    type: Literal["card", "boleto"]
    behaviour: Behaviour
    customer: str | None = None
    brand: str = "visa"
    last4: str = "4242"
    exp_month: int = 12
    exp_year: int = 2034
    metadata: dict[str, str] = field(default_factory=dict)


@dataclass(kw_only=True)
class CheckoutSession(Record):
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
    payment_method_types: list[str]  # what the session offers (dynamic, filtered)
    allowed_payment_method_types: list[str] | None
    excluded_payment_method_types: list[str] | None
    payment_method_configuration: str | None
    payment_method_collection: str
    missing_payment_method: str
    allow_promotion_codes: bool
    expires_at: int
    status: str = "open"
    payment_status: str = "unpaid"
    subscription: str | None = None
    invoice: str | None = None
    last_error: str | None = None


@dataclass(kw_only=True)
class PortalConfiguration(Record):
    """A saved Customer Portal configuration; ``features`` is kept in Stripe's JSON shape."""

    features: dict[str, object]
    business_profile: dict[str, object]
    default_return_url: str | None = None
    login_page_enabled: bool = False
    name: str | None = None
    active: bool = True
    is_default: bool = False
    metadata: dict[str, str] = field(default_factory=dict)
    updated: int = 0


@dataclass(kw_only=True)
class PortalSession(Record):
    customer: str
    return_url: str | None
    configuration: str
    flow_type: str | None = None
    flow_subscription: str | None = None


@dataclass(kw_only=True)
class SubscriptionItem:
    id: str
    created: int
    price: str
    quantity: int = 1
    metadata: dict[str, str] = field(default_factory=dict)
    tax_rates: list[str] = field(default_factory=list)


@dataclass(kw_only=True)
class Subscription(Record):
    customer: str
    status: str
    items: list[SubscriptionItem]
    current_period_start: int
    current_period_end: int
    billing_cycle_anchor: int
    start_date: int
    cancel_at_period_end: bool = False
    cancel_at: int | None = None
    canceled_at: int | None = None
    ended_at: int | None = None
    cancellation_details: dict[str, str | None] = field(
        default_factory=lambda: {"comment": None, "feedback": None, "reason": None}
    )
    trial_start: int | None = None
    trial_end: int | None = None
    latest_invoice: str | None = None
    default_payment_method: str | None = None
    default_tax_rates: list[str] = field(default_factory=list)
    metadata: dict[str, str] = field(default_factory=dict)
    description: str | None = None
    # trial_settings.end_behavior.missing_payment_method: pause | cancel | create_invoice
    missing_payment_method: str = "pause"
    trial_will_end_sent: bool = False
    # The period end whose invoice.upcoming was sent, so it goes out once per period.
    upcoming_sent_for: int | None = None


@dataclass(kw_only=True)
class TaxAmount:
    tax_rate: str
    amount: int
    inclusive: bool
    taxable_amount: int


@dataclass(kw_only=True)
class InvoiceItem(Record):
    """A pending charge or credit (prorations) that the customer's next invoice picks up."""

    customer: str
    subscription: str | None
    subscription_item: str | None
    price: str | None
    amount: int
    quantity: int
    description: str
    period_start: int
    period_end: int
    proration: bool
    tax_rates: list[str]
    invoice: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)


@dataclass(kw_only=True)
class InvoiceLine:
    id: str
    amount: int
    description: str
    period_start: int
    period_end: int
    price: str | None
    quantity: int
    proration: bool
    subscription: str | None
    subscription_item: str | None
    invoice_item: str | None
    tax_rates: list[str]
    taxes: list[TaxAmount] = field(default_factory=list)
    metadata: dict[str, str] = field(default_factory=dict)


@dataclass(kw_only=True)
class Invoice(Record):
    customer: str
    subscription: str | None
    status: str
    billing_reason: str
    lines: list[InvoiceLine]
    period_start: int
    period_end: int
    subtotal: int
    total: int
    tax: int
    starting_balance: int = 0
    ending_balance: int | None = None
    amount_due: int = 0
    amount_paid: int = 0
    number: str | None = None
    currency: str = "brl"
    attempt_count: int = 0
    attempted: bool = False
    next_payment_attempt: int | None = None
    auto_advance: bool = True
    payment_intent: str | None = None
    charge: str | None = None
    finalized_at: int | None = None
    paid_at: int | None = None
    voided_at: int | None = None
    marked_uncollectible_at: int | None = None
    paid_out_of_band: bool = False
    first_failure_at: int | None = None
    # Automatic retries done so far (collection.py's dunning ladder).
    dunning_step: int = 0
    default_tax_rates: list[str] = field(default_factory=list)
    metadata: dict[str, str] = field(default_factory=dict)

    @property
    def amount_remaining(self) -> int:
        return self.amount_due - self.amount_paid


@dataclass(kw_only=True)
class PaymentIntent(Record):
    amount: int
    customer: str | None
    invoice: str | None
    payment_method: str | None
    status: str
    currency: str = "brl"
    latest_charge: str | None = None
    last_payment_error: dict[str, object] | None = None
    next_action: dict[str, object] | None = None
    description: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)


@dataclass(kw_only=True)
class Charge(Record):
    amount: int
    customer: str | None
    invoice: str | None
    payment_intent: str
    payment_method: str
    method_type: str
    status: str
    currency: str = "brl"
    failure_code: str | None = None
    failure_message: str | None = None
    amount_refunded: int = 0
    disputed: bool = False
    description: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)

    @property
    def refunded(self) -> bool:
        return self.amount_refunded >= self.amount


@dataclass(kw_only=True)
class Refund(Record):
    amount: int
    charge: str
    payment_intent: str
    reason: str | None
    status: str = "succeeded"
    currency: str = "brl"
    metadata: dict[str, str] = field(default_factory=dict)


@dataclass(kw_only=True)
class Dispute(Record):
    amount: int
    charge: str
    payment_intent: str
    reason: str = "fraudulent"
    status: str = "needs_response"
    currency: str = "brl"
    metadata: dict[str, str] = field(default_factory=dict)


@dataclass(kw_only=True)
class Event(Record):
    type: str
    data_object: dict[str, object]
    previous_attributes: dict[str, object] | None
    api_version: str
    request_id: str | None
    idempotency_key: str | None
    pending_webhooks: int
