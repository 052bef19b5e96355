"""Moving the emulator's clock: every timed transition that falls due runs, in time order.

``advance`` repeatedly finds the earliest due action, sets the clock to its moment and runs it,
until the target time; actions due at the same second run in the order of ``KINDS`` and then of
the objects' creation. What is due is derived from the objects' current state each time (no
timer to cancel), so an update between advances simply changes what comes next:

* ``trial_will_end``: 3 days before a trial ends (once; only for trials longer than that);
* ``invoice.upcoming``: 7 days before a renewal (once per period);
* dunning retries at the invoice's ``next_payment_attempt``;
* trial end, renewal or cancel at the period end;
* ``incomplete`` → ``incomplete_expired`` 23 h after creation (not while a boleto is pending);
* open Checkout Sessions expire at ``expires_at``; idempotency keys are pruned after 24 h.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from doubles.stripe.checkout import session_expire
from doubles.stripe.clock import DAY, HOUR
from doubles.stripe.collection import invoice_collect, subscription_end
from doubles.stripe.invoicing import invoice_void
from doubles.stripe.proration import preview
from doubles.stripe.records import CheckoutSession, Invoice, Subscription
from doubles.stripe.render_money import invoice as invoice_json
from doubles.stripe.state import EmulatorState
from doubles.stripe.subscriptions import subscription_renew, subscription_trial_finish

TRIAL_WILL_END_BEFORE = 3 * DAY
UPCOMING_BEFORE = 7 * DAY
INCOMPLETE_EXPIRES_AFTER = 23 * HOUR
MAX_ACTIONS_PER_ADVANCE = 100_000

KINDS = (
    "trial_will_end",
    "invoice_upcoming",
    "payment_retry",
    "trial_end",
    "renewal",
    "incomplete_expiry",
    "checkout_expiry",
)


@dataclass(frozen=True)
class Due:
    at: int
    kind: str
    seq: int
    run: Callable[[], None]

    def order(self) -> tuple[int, int, int]:
        return (self.at, KINDS.index(self.kind), self.seq)


def advance(state: EmulatorState, *, to: int) -> list[dict[str, object]]:
    """Run everything due up to ``to`` and leave the clock there; returns what ran."""
    ran: list[dict[str, object]] = []
    with state.lock:
        if to < state.now():
            raise ValueError("the emulator clock never goes back")
        for _ in range(MAX_ACTIONS_PER_ADVANCE):
            due = [d for d in _due_actions(state) if d.at <= to]
            if not due:
                break
            action = min(due, key=Due.order)
            state.clock.set(max(state.now(), action.at))
            action.run()
            ran.append({"at": state.now(), "kind": action.kind})
        else:  # a bug would loop forever; fail loudly instead
            raise RuntimeError("too many actions in one advance")
        state.clock.set(to)
    return ran


def _due_actions(state: EmulatorState) -> list[Due]:
    actions: list[Due] = []
    for sub in state.store.subscriptions:
        actions.extend(_subscription_actions(state, sub))
    for invoice in state.store.invoices:
        if invoice.status == "open" and invoice.next_payment_attempt is not None:
            actions.append(
                Due(
                    invoice.next_payment_attempt,
                    "payment_retry",
                    invoice.seq,
                    _retry(state, invoice),
                )
            )
    for session in state.store.checkout_sessions:
        if session.status == "open":
            actions.append(
                Due(session.expires_at, "checkout_expiry", session.seq, _expire(state, session))
            )
    return actions


def _subscription_actions(state: EmulatorState, sub: Subscription) -> list[Due]:
    actions: list[Due] = []
    end = sub.current_period_end
    if sub.status == "trialing" and sub.trial_end is not None:
        warn_at = sub.trial_end - TRIAL_WILL_END_BEFORE
        if not sub.trial_will_end_sent and warn_at > sub.created:
            actions.append(Due(warn_at, "trial_will_end", sub.seq, _trial_will_end(state, sub)))
        actions.append(
            Due(sub.trial_end, "trial_end", sub.seq, lambda: subscription_trial_finish(state, sub))
        )
    if sub.status in ("active", "past_due", "unpaid", "trialing"):
        upcoming_at = end - UPCOMING_BEFORE
        billable = not sub.cancel_at_period_end and sub.status != "unpaid"
        if billable and sub.upcoming_sent_for != end and upcoming_at > sub.current_period_start:
            actions.append(Due(upcoming_at, "invoice_upcoming", sub.seq, _upcoming(state, sub)))
    if sub.status in ("active", "past_due", "unpaid"):
        actions.append(Due(end, "renewal", sub.seq, lambda: subscription_renew(state, sub)))
    if sub.status == "incomplete" and not _boleto_pending(state, sub):
        expires = sub.created + INCOMPLETE_EXPIRES_AFTER
        actions.append(Due(expires, "incomplete_expiry", sub.seq, _incomplete_expiry(state, sub)))
    return actions


def _boleto_pending(state: EmulatorState, sub: Subscription) -> bool:
    invoice = state.store.invoices.find(sub.latest_invoice)
    intent = state.store.payment_intents.find(invoice.payment_intent if invoice else None)
    return intent is not None and intent.status == "processing"


def _trial_will_end(state: EmulatorState, sub: Subscription) -> Callable[[], None]:
    def run() -> None:
        sub.trial_will_end_sent = True
        state.emit("customer.subscription.trial_will_end", sub)

    return run


def _upcoming(state: EmulatorState, sub: Subscription) -> Callable[[], None]:
    def run() -> None:
        sub.upcoming_sent_for = sub.current_period_end
        upcoming = preview(state, sub, None)
        state.emit_json("invoice.upcoming", invoice_json(state.renderer, upcoming, preview=True))

    return run


def _retry(state: EmulatorState, invoice: Invoice) -> Callable[[], None]:
    def run() -> None:
        invoice.dunning_step += 1
        invoice.next_payment_attempt = None
        invoice_collect(state, invoice)

    return run


def _incomplete_expiry(state: EmulatorState, sub: Subscription) -> Callable[[], None]:
    def run() -> None:
        invoice = state.store.invoices.find(sub.latest_invoice)
        if invoice is not None and invoice.status == "open":
            invoice_void(state, invoice)
        subscription_end(state, sub, reason="payment_failed", status="incomplete_expired")

    return run


def _expire(state: EmulatorState, session: CheckoutSession) -> Callable[[], None]:
    def run() -> None:
        session_expire(state, session)

    return run
