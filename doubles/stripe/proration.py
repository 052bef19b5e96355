"""Plan changes: proration lines and the upcoming-invoice preview (``create_preview``).

At proration time ``t`` in the period ``[start, end)`` the old price is credited and the new one
charged for the seconds left: ``round(unit_amount * quantity * (end - t) / (end - start))``, each
line rounded half-up to the centavo on its own (taxes then follow tax.py per line). Changing the
interval (month ↔ year) resets the billing cycle to ``t`` and bills the new period in full at
once, with the credit for the unused old time.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from doubles.stripe.clock import day_label, period_end
from doubles.stripe.errors import InvalidRequest
from doubles.stripe.invoicing import (
    TIMES,
    LineSpec,
    invoice_build,
    item_tax_rates,
    pending_item_lines,
    period_description,
)
from doubles.stripe.records import Invoice, Price, Subscription
from doubles.stripe.state import EmulatorState
from doubles.stripe.tax import centavos

PRORATION_BEHAVIORS = ("create_prorations", "always_invoice", "none")


@dataclass(frozen=True)
class PlanChange:
    """The subscription's single item moving to ``price`` x ``quantity`` at ``at``."""

    price: Price
    quantity: int
    at: int
    behavior: str

    def interval_changes(self, state: EmulatorState, sub: Subscription) -> bool:
        old = state.store.prices.get(sub.items[0].price)
        return (old.interval, old.interval_count) != (
            self.price.interval,
            self.price.interval_count,
        )


def proration_lines(state: EmulatorState, sub: Subscription, change: PlanChange) -> list[LineSpec]:
    """Credit for the unused old plan, charge for the rest of the period on the new one."""
    start, end = sub.current_period_start, sub.current_period_end
    if not start <= change.at <= end:
        raise InvalidRequest(
            "proration_date must be within the subscription's current period.",
            param="proration_date",
        )
    if change.behavior == "none" or sub.status == "trialing":
        return []
    item = sub.items[0]
    old = state.store.prices.get(item.price)
    rates = item_tax_rates(sub, item.tax_rates)
    share = Decimal(end - change.at) / Decimal(end - start)
    after = day_label(change.at)
    old_name = state.store.products.get(old.product).name
    lines = [
        LineSpec(
            amount=-centavos(Decimal(old.unit_amount * item.quantity) * share),
            description=f"Unused time on {item.quantity} {TIMES} {old_name} after {after}",
            period_start=change.at,
            period_end=end,
            price=old.id,
            quantity=item.quantity,
            proration=True,
            subscription=sub.id,
            subscription_item=item.id,
            tax_rates=rates,
        )
    ]
    if not change.interval_changes(state, sub):
        new_name = state.store.products.get(change.price.product).name
        lines.append(
            LineSpec(
                amount=centavos(Decimal(change.price.unit_amount * change.quantity) * share),
                description=f"Remaining time on {change.quantity} {TIMES} {new_name} after {after}",
                period_start=change.at,
                period_end=end,
                price=change.price.id,
                quantity=change.quantity,
                proration=True,
                subscription=sub.id,
                subscription_item=item.id,
                tax_rates=rates,
            )
        )
    return lines


def new_period_line(state: EmulatorState, sub: Subscription, change: PlanChange) -> LineSpec:
    """The full next period on the new price (the renewal line, or the reset cycle's first)."""
    price = change.price
    interval = price.interval or "month"
    if change.interval_changes(state, sub):
        start, anchor = change.at, change.at
    else:
        start, anchor = sub.current_period_end, sub.billing_cycle_anchor
    end = period_end(start, interval, price.interval_count, anchor)
    product = state.store.products.get(price.product)
    return LineSpec(
        amount=price.unit_amount * change.quantity,
        description=period_description(change.quantity, product.name, price.unit_amount, interval),
        period_start=start,
        period_end=end,
        price=price.id,
        quantity=change.quantity,
        proration=False,
        subscription=sub.id,
        subscription_item=sub.items[0].id,
        tax_rates=item_tax_rates(sub, sub.items[0].tax_rates),
    )


def preview(state: EmulatorState, sub: Subscription, change: PlanChange | None) -> Invoice:
    """What the app would be billed, not stored (no id), like ``POST /v1/invoices/create_preview``.

    Without a change, or with ``create_prorations``/``none``: the next renewal invoice (pending
    prorations + new ones + the next period). With ``always_invoice`` or an interval change: the
    invoice the update would create at once.
    """
    if sub.status in ("canceled", "incomplete_expired"):
        raise InvalidRequest(
            "Canceled subscriptions have no upcoming invoice.", param="subscription"
        )
    if change is None:
        item = sub.items[0]
        change = PlanChange(
            price=state.store.prices.get(item.price),
            quantity=item.quantity,
            at=state.now(),
            behavior="none",
        )
    prorations = proration_lines(state, sub, change)
    immediate = change.behavior == "always_invoice" or change.interval_changes(state, sub)
    if immediate:
        lines = pending_item_lines(state, sub) + prorations
        if change.interval_changes(state, sub):
            lines.append(new_period_line(state, sub, change))
        reason = "subscription_update"
    else:
        lines = [*pending_item_lines(state, sub), *prorations, new_period_line(state, sub, change)]
        reason = "upcoming"
    return invoice_build(
        state,
        customer=sub.customer,
        subscription=sub,
        billing_reason=reason,
        lines=lines,
        preview=True,
    )
