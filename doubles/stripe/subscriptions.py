"""Subscriptions: creation, updates (plan changes with prorations), cancel, resume, trial end.

One item per subscription (Peepers sells one plan at a time); a request that would add a second
item is refused with a 400 that says so. Statuses follow billing-lgpd.md §A2; the timed
transitions (trial end, renewals, dunning, expiry) are run by lifecycle.py.
"""

from __future__ import annotations

from dataclasses import replace

from doubles.stripe.clock import period_end
from doubles.stripe.collection import invoice_collect, payment_method_for, subscription_end
from doubles.stripe.errors import InvalidRequest
from doubles.stripe.invoicing import (
    LineSpec,
    invoice_build,
    invoice_finalize,
    pending_item_lines,
    period_line,
)
from doubles.stripe.proration import PlanChange, new_period_line, proration_lines
from doubles.stripe.records import (
    Customer,
    InvoiceItem,
    PaymentMethod,
    Price,
    Subscription,
    SubscriptionItem,
)
from doubles.stripe.state import EmulatorState

ENDED = ("canceled", "incomplete_expired")


def recurring_price(state: EmulatorState, price_id: str, *, param: str) -> Price:
    price = state.store.prices.get(price_id, param=param)
    if price.interval is None:
        raise InvalidRequest(
            f"The price specified ({price_id}) is not a recurring price; subscriptions need "
            "recurring prices.",
            param=param,
        )
    if not price.active:
        raise InvalidRequest(f"The price specified ({price_id}) is inactive.", param=param)
    return price


def subscription_create(
    state: EmulatorState,
    *,
    customer: Customer,
    price: Price,
    quantity: int,
    trial_end: int | None,
    default_payment_method: str | None,
    default_tax_rates: list[str],
    metadata: dict[str, str],
    missing_payment_method: str,
    first_payment_method: PaymentMethod | None = None,
    off_session: bool = True,
) -> Subscription:
    """A new subscription with its first invoice (zero during a trial) collected at once."""
    now = state.now()
    interval = price.interval or "month"
    trialing = trial_end is not None and trial_end > now
    end = trial_end if trial_end is not None and trialing else None
    if end is None:
        end = period_end(now, interval, price.interval_count, now)
    sub = state.store.subscriptions.add(
        Subscription(
            id=state.new_id("sub_"),
            created=now,
            seq=state.next_seq(),
            customer=customer.id,
            status="trialing" if trialing else "incomplete",
            items=[
                SubscriptionItem(
                    id=state.new_id("si_"), created=now, price=price.id, quantity=quantity
                )
            ],
            current_period_start=now,
            current_period_end=end,
            billing_cycle_anchor=end if trialing else now,
            start_date=now,
            trial_start=now if trialing else None,
            trial_end=end if trialing else None,
            default_payment_method=default_payment_method,
            default_tax_rates=default_tax_rates,
            metadata=metadata,
            missing_payment_method=missing_payment_method,
        )
    )
    customer.currency = "brl"
    state.emit("customer.subscription.created", sub)
    if trialing:
        product = state.store.products.get(price.product)
        line = period_line(state, sub, start=now, end=end)
        lines = [replace(line, amount=0, description=f"Trial period for {product.name}")]
    else:
        lines = [period_line(state, sub, start=now, end=end)]
    invoice = invoice_build(
        state,
        customer=customer.id,
        subscription=sub,
        billing_reason="subscription_create",
        lines=lines,
    )
    invoice_collect(state, invoice, method=first_payment_method, off_session=off_session)
    return sub


def subscription_update(
    state: EmulatorState,
    sub: Subscription,
    *,
    change: PlanChange | None = None,
    cancel_at_period_end: bool | None = None,
    default_payment_method: str | None = None,
    default_tax_rates: list[str] | None = None,
    metadata: dict[str, str] | None = None,
    cancellation_details: dict[str, str | None] | None = None,
    description: str | None = None,
    end_trial_now: bool = False,
) -> Subscription:
    """Apply an update as ``POST /v1/subscriptions/{id}`` does; ``""`` clears the default PM."""
    if sub.status in ENDED:
        touches_more = (
            any(v is not None for v in (change, cancel_at_period_end, default_payment_method))
            or bool(default_tax_rates)
            or end_trial_now
        )
        if touches_more:
            raise InvalidRequest(
                "A canceled subscription can only update its cancellation_details and metadata."
            )
    now = state.now()
    before = state.render(sub)
    if metadata is not None:
        sub.metadata = metadata
    if cancellation_details is not None:
        sub.cancellation_details = {**sub.cancellation_details, **cancellation_details}
    if description is not None:
        sub.description = description or None
    if default_payment_method is not None:
        sub.default_payment_method = _owned_method(state, sub, default_payment_method)
    if default_tax_rates is not None:
        for rate in default_tax_rates:
            state.store.tax_rates.get(rate, param="default_tax_rates")
        sub.default_tax_rates = default_tax_rates
    if cancel_at_period_end is not None:
        sub.cancel_at_period_end = cancel_at_period_end
        sub.cancel_at = sub.current_period_end if cancel_at_period_end else None
        sub.canceled_at = now if cancel_at_period_end else None
    immediate = reset = False
    if change is not None and _changes_plan(sub, change):
        immediate, reset = _plan_change(state, sub, change)
    state.emit_changes("customer.subscription.updated", sub, before)
    if immediate:
        lines = pending_item_lines(state, sub)
        if reset:
            lines.append(_current_period_line(state, sub))
        invoice = invoice_build(
            state,
            customer=sub.customer,
            subscription=sub,
            billing_reason="subscription_update",
            lines=lines,
        )
        invoice_collect(state, invoice)
    if end_trial_now and sub.status == "trialing":
        state.emit("customer.subscription.trial_will_end", sub)
        sub.trial_will_end_sent = True
        subscription_trial_finish(state, sub)
    return sub


def _owned_method(state: EmulatorState, sub: Subscription, method_id: str) -> str | None:
    if method_id == "":
        return None
    method = state.store.payment_methods.get(method_id, param="default_payment_method")
    if method.customer != sub.customer:
        raise InvalidRequest(
            f"The customer does not have a payment method with the ID {method_id}. The payment "
            "method must be attached to the customer.",
            param="default_payment_method",
        )
    return method.id


def _changes_plan(sub: Subscription, change: PlanChange) -> bool:
    item = sub.items[0]
    return (item.price, item.quantity) != (change.price.id, change.quantity)


def _plan_change(state: EmulatorState, sub: Subscription, change: PlanChange) -> tuple[bool, bool]:
    """Switch the item's price; prorations become invoice items.

    Returns (invoice now, billing cycle reset to the change).
    """
    lines = proration_lines(state, sub, change)
    reset = change.interval_changes(state, sub) and sub.status != "trialing"
    for line in lines:
        _invoice_item_add(state, sub, line)
    if reset:
        new_line = new_period_line(state, sub, change)
        sub.current_period_start = new_line.period_start
        sub.current_period_end = new_line.period_end
        sub.billing_cycle_anchor = new_line.period_start
        sub.upcoming_sent_for = None
    item = sub.items[0]
    item.price = change.price.id
    item.quantity = change.quantity
    if sub.status == "trialing":
        return False, False
    return reset or change.behavior == "always_invoice", reset


def _invoice_item_add(state: EmulatorState, sub: Subscription, line: LineSpec) -> InvoiceItem:
    return state.store.invoice_items.add(
        InvoiceItem(
            id=state.new_id("ii_"),
            created=state.now(),
            seq=state.next_seq(),
            customer=sub.customer,
            subscription=sub.id,
            subscription_item=line.subscription_item,
            price=line.price,
            amount=line.amount,
            quantity=line.quantity,
            description=line.description,
            period_start=line.period_start,
            period_end=line.period_end,
            proration=line.proration,
            tax_rates=line.tax_rates,
        )
    )


def subscription_cancel(
    state: EmulatorState,
    sub: Subscription,
    *,
    invoice_now: bool,
    prorate: bool,
    cancellation_details: dict[str, str | None] | None,
) -> Subscription:
    """``DELETE /v1/subscriptions/{id}``: ends now; with ``invoice_now`` + ``prorate`` the
    unused time is credited on a final invoice (credit goes to the customer's balance)."""
    if sub.status in ENDED:
        raise InvalidRequest(f"Subscription {sub.id} has already been canceled.")
    if cancellation_details:
        sub.cancellation_details = {**sub.cancellation_details, **cancellation_details}
    if invoice_now:
        lines = pending_item_lines(state, sub)
        if prorate and sub.status in ("active", "past_due"):
            item = sub.items[0]
            unchanged = PlanChange(
                price=state.store.prices.get(item.price),
                quantity=item.quantity,
                at=state.now(),
                behavior="create_prorations",
            )
            lines += proration_lines(state, sub, unchanged)[:1]
        if lines:
            invoice = invoice_build(
                state,
                customer=sub.customer,
                subscription=sub,
                billing_reason="subscription_cancel",
                lines=lines,
            )
            invoice_finalize(state, invoice)
            if invoice.status == "open":
                invoice_collect(state, invoice)
    subscription_end(state, sub, reason="cancellation_requested")
    return sub


def subscription_trial_finish(state: EmulatorState, sub: Subscription) -> None:
    """The trial is over (reached, or ended early): bill the first period, or pause/cancel
    when there is no payment method and ``trial_settings`` say so."""
    now = state.now()
    before = state.render(sub)
    sub.trial_end = now
    method = payment_method_for(state, customer=sub.customer, subscription=sub)
    if method is None and sub.missing_payment_method != "create_invoice":
        if sub.missing_payment_method == "cancel":
            subscription_end(state, sub, reason="cancellation_requested")
            return
        sub.status = "paused"
        state.emit("customer.subscription.paused", sub)
        state.emit_changes("customer.subscription.updated", sub, before)
        return
    _period_start(state, sub, now, anchor=now)
    invoice = invoice_build(
        state,
        customer=sub.customer,
        subscription=sub,
        billing_reason="subscription_cycle",
        lines=[*pending_item_lines(state, sub), _current_period_line(state, sub)],
    )
    invoice_collect(state, invoice, method=method, before=before)


def subscription_resume(state: EmulatorState, sub: Subscription) -> Subscription:
    """A paused subscription starts a new period now and bills it."""
    if sub.status != "paused":
        raise InvalidRequest(
            f"Subscription {sub.id} is {sub.status}; only paused subscriptions can be resumed."
        )
    before = state.render(sub)
    sub.status = "active"
    _period_start(state, sub, state.now(), anchor=state.now())
    state.emit("customer.subscription.resumed", sub)
    invoice = invoice_build(
        state,
        customer=sub.customer,
        subscription=sub,
        billing_reason="subscription_cycle",
        lines=[*pending_item_lines(state, sub), _current_period_line(state, sub)],
    )
    invoice_collect(state, invoice, before=before)
    return sub


def subscription_renew(state: EmulatorState, sub: Subscription) -> None:
    """The period ended: cancel if asked to, else start the next period and bill it."""
    if sub.cancel_at_period_end:
        subscription_end(state, sub, reason="cancellation_requested")
        return
    before = state.render(sub)
    _period_start(state, sub, sub.current_period_end, anchor=sub.billing_cycle_anchor)
    invoice = invoice_build(
        state,
        customer=sub.customer,
        subscription=sub,
        billing_reason="subscription_cycle",
        lines=[*pending_item_lines(state, sub), _current_period_line(state, sub)],
    )
    if sub.status == "unpaid":
        # Stripe keeps invoicing an unpaid subscription but makes no attempt to collect.
        invoice.auto_advance = False
        invoice_finalize(state, invoice)
        state.emit_changes("customer.subscription.updated", sub, before)
        return
    invoice_collect(state, invoice, before=before)


def _period_start(state: EmulatorState, sub: Subscription, start: int, *, anchor: int) -> None:
    price = state.store.prices.get(sub.items[0].price)
    sub.billing_cycle_anchor = anchor
    sub.current_period_start = start
    sub.current_period_end = period_end(
        start, price.interval or "month", price.interval_count, anchor
    )


def _current_period_line(state: EmulatorState, sub: Subscription) -> LineSpec:
    return period_line(state, sub, start=sub.current_period_start, end=sub.current_period_end)
