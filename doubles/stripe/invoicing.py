"""Invoices: building lines and totals, finalizing, numbering, and recording payment results.

Invoices are finalized as soon as they are created (Stripe waits about an hour for renewals;
the emulator's clock only moves on request, so nothing would be gained). A zero-amount invoice
is paid on finalization without a PaymentIntent, as in Stripe. Totals follow tax.py's rule.
"""

from __future__ import annotations

from dataclasses import dataclass

from doubles.stripe.clock import DAY
from doubles.stripe.errors import InvalidRequest
from doubles.stripe.records import Invoice, InvoiceItem, InvoiceLine, Subscription
from doubles.stripe.state import EmulatorState
from doubles.stripe.tax import invoice_totals, line_taxes


@dataclass(frozen=True)
class LineSpec:
    """A line to bill: a subscription period or a pending invoice item."""

    amount: int
    description: str
    period_start: int
    period_end: int
    price: str | None
    quantity: int
    proration: bool
    subscription: str | None
    subscription_item: str | None
    tax_rates: list[str]
    invoice_item: str | None = None


# Stripe writes line descriptions with the multiplication sign: "1 \u00d7 Pro (at ...)".
TIMES = "\u00d7"


def money(amount: int) -> str:
    sign = "-" if amount < 0 else ""
    whole, cents = divmod(abs(amount), 100)
    return f"{sign}R${whole:,}.{cents:02d}".replace(",", ".")


def period_description(quantity: int, product: str, unit_amount: int, interval: str) -> str:
    return f"{quantity} {TIMES} {product} (at {money(unit_amount)} / {interval})"


def item_tax_rates(sub: Subscription, item_tax_rates: list[str]) -> list[str]:
    """A line's rates: the item's own, else the subscription's defaults (Stripe's precedence)."""
    return list(item_tax_rates) if item_tax_rates else list(sub.default_tax_rates)


def period_line(
    state: EmulatorState, sub: Subscription, *, start: int, end: int, price_id: str | None = None
) -> LineSpec:
    item = sub.items[0]
    price = state.store.prices.get(price_id or item.price)
    product = state.store.products.get(price.product)
    interval = price.interval or "month"
    return LineSpec(
        amount=price.unit_amount * item.quantity,
        description=period_description(item.quantity, product.name, price.unit_amount, interval),
        period_start=start,
        period_end=end,
        price=price.id,
        quantity=item.quantity,
        proration=False,
        subscription=sub.id,
        subscription_item=item.id,
        tax_rates=item_tax_rates(sub, item.tax_rates),
    )


def pending_item_lines(state: EmulatorState, sub: Subscription) -> list[LineSpec]:
    """The subscription's invoice items that no invoice has picked up yet (prorations)."""
    return [item_line(x) for x in state.store.invoice_items if _pending_for(x, sub)]


def _pending_for(x: InvoiceItem, sub: Subscription) -> bool:
    return x.invoice is None and x.subscription == sub.id


def item_line(x: InvoiceItem) -> LineSpec:
    return LineSpec(
        amount=x.amount,
        description=x.description,
        period_start=x.period_start,
        period_end=x.period_end,
        price=x.price,
        quantity=x.quantity,
        proration=x.proration,
        subscription=x.subscription,
        subscription_item=x.subscription_item,
        tax_rates=list(x.tax_rates),
        invoice_item=x.id,
    )


def invoice_build(
    state: EmulatorState,
    *,
    customer: str,
    subscription: Subscription | None,
    billing_reason: str,
    lines: list[LineSpec],
    preview: bool = False,
) -> Invoice:
    """An invoice with computed taxes and totals; stored (as a draft) unless ``preview``."""
    now = state.now()
    built: list[InvoiceLine] = []
    for index, spec in enumerate(lines):
        rates = [state.store.tax_rates.get(t) for t in spec.tax_rates]
        built.append(
            InvoiceLine(
                id=f"il_tmp_{index:04d}" if preview else state.new_id("il_"),
                amount=spec.amount,
                description=spec.description,
                period_start=spec.period_start,
                period_end=spec.period_end,
                price=spec.price,
                quantity=spec.quantity,
                proration=spec.proration,
                subscription=spec.subscription,
                subscription_item=spec.subscription_item,
                invoice_item=spec.invoice_item,
                tax_rates=spec.tax_rates,
                taxes=line_taxes(spec.amount, rates),
            )
        )
    subtotal, tax, total = invoice_totals(built)
    starts = [line.period_start for line in built] or [now]
    ends = [line.period_end for line in built] or [now]
    invoice = Invoice(
        id="" if preview else state.new_id("in_"),
        created=now,
        seq=0 if preview else state.next_seq(),
        customer=customer,
        subscription=subscription.id if subscription else None,
        status="draft",
        billing_reason=billing_reason,
        lines=built,
        period_start=min(starts),
        period_end=max(ends),
        subtotal=subtotal,
        total=total,
        tax=tax,
        default_tax_rates=list(subscription.default_tax_rates) if subscription else [],
    )
    _apply_balance(state, invoice, commit=False)
    if preview:
        return invoice
    state.store.invoices.add(invoice)
    for spec in lines:
        if spec.invoice_item is not None:
            state.store.invoice_items.get(spec.invoice_item).invoice = invoice.id
    if subscription is not None:
        subscription.latest_invoice = invoice.id
    state.emit("invoice.created", invoice)
    return invoice


def _apply_balance(state: EmulatorState, invoice: Invoice, *, commit: bool) -> None:
    """Customer credit (a negative balance) pays first; a negative total becomes credit."""
    customer = state.store.customers.get(invoice.customer)
    invoice.starting_balance = customer.balance
    applied = invoice.total + customer.balance
    invoice.amount_due = max(0, applied)
    invoice.ending_balance = min(0, applied) if commit else None
    if commit:
        customer.balance = min(0, applied)


def invoice_finalize(state: EmulatorState, invoice: Invoice) -> None:
    """Draft → open with a number; a zero amount due is paid at once."""
    _apply_balance(state, invoice, commit=True)
    state.store.invoice_number += 1
    invoice.number = f"{state.config.invoice_prefix}-{state.store.invoice_number:04d}"
    invoice.status = "open"
    invoice.finalized_at = state.now()
    state.emit("invoice.finalized", invoice)
    if invoice.amount_due == 0:
        invoice_mark_paid(state, invoice)


def invoice_mark_paid(
    state: EmulatorState, invoice: Invoice, *, charge: str | None = None, out_of_band: bool = False
) -> None:
    invoice.status = "paid"
    invoice.amount_paid = invoice.amount_due
    invoice.charge = charge
    invoice.paid_at = state.now()
    invoice.paid_out_of_band = out_of_band
    invoice.next_payment_attempt = None
    invoice.attempted = invoice.attempted or invoice.amount_due > 0
    state.emit("invoice.paid", invoice)
    state.emit("invoice.payment_succeeded", invoice)


def invoice_record_failure(
    state: EmulatorState, invoice: Invoice, *, action_required: bool, automatic: bool
) -> None:
    """A failed attempt: schedule the next dunning retry (renewals only) and tell the app."""
    now = state.now()
    if invoice.first_failure_at is None:
        invoice.first_failure_at = now
    days = state.config.dunning_retry_days
    retries = invoice.billing_reason != "subscription_create" and invoice.subscription is not None
    if retries and automatic and invoice.dunning_step < len(days):
        invoice.next_payment_attempt = invoice.first_failure_at + days[invoice.dunning_step] * DAY
    elif automatic:
        invoice.next_payment_attempt = None
    if action_required:
        state.emit("invoice.payment_action_required", invoice)
    state.emit("invoice.payment_failed", invoice)


def invoice_void(state: EmulatorState, invoice: Invoice) -> None:
    if invoice.status not in ("open", "uncollectible"):
        raise InvalidRequest(
            f"You can only void invoices that are open or uncollectible; {invoice.id} is "
            f"{invoice.status}.",
            code="invoice_not_editable" if invoice.status == "draft" else None,
        )
    invoice.status = "void"
    invoice.voided_at = state.now()
    invoice.next_payment_attempt = None
    state.emit("invoice.voided", invoice)


def invoice_mark_uncollectible(state: EmulatorState, invoice: Invoice) -> None:
    if invoice.status != "open":
        raise InvalidRequest(
            f"You can only mark open invoices uncollectible; {invoice.id} is {invoice.status}."
        )
    invoice.status = "uncollectible"
    invoice.marked_uncollectible_at = state.now()
    invoice.next_payment_attempt = None
    state.emit("invoice.marked_uncollectible", invoice)
