"""The hosted pages a browser opens: Checkout, the Billing Portal, invoices, boletos, receipts.

Plain server-rendered HTML (no JavaScript, no third-party assets); every control has a stable
``id`` and visible text so browser tests can drive them. Payment buttons post Stripe's test
tokens (customers.py): ``pm_card_visa`` (4242), ``pm_card_chargeDeclined`` (0002),
``pm_card_authenticationRequired`` (3184, passes: the challenge counts as done on a page) and
``pm_boleto``. Actions redirect with 303 (post/redirect/get); refusals re-render the page.
"""

from __future__ import annotations

from collections.abc import Callable

from werkzeug.wrappers import Response

from doubles.harness import html_response
from doubles.stripe.checkout import session_complete
from doubles.stripe.clock import day_label
from doubles.stripe.collection import invoice_pay
from doubles.stripe.customers import payment_method_attach
from doubles.stripe.errors import InvalidRequest, StripeError
from doubles.stripe.invoice_pdf import invoice_text, pdf_document
from doubles.stripe.invoicing import TIMES, money
from doubles.stripe.portal import (
    portal_cancel,
    portal_features,
    portal_payment_method,
    portal_prices,
    portal_subscription,
    portal_switch,
)
from doubles.stripe.records import (
    CheckoutSession,
    Invoice,
    PortalSession,
    Price,
)
from doubles.stripe.state import EmulatorState
from doubles.stripe.web import Call, Route, esc, page_html, redirect

# button id → (token, label); the checkout and invoice pages offer these.
CARD_BUTTONS = (
    ("pay-card", "pm_card_visa", "Pay with card 4242"),
    ("pay-declined", "pm_card_chargeDeclined", "Pay with declining card 0002"),
    ("pay-3ds", "pm_card_authenticationRequired", "Pay with 3-D Secure card 3184"),
)
BOLETO_BUTTON = ("pay-boleto", "pm_boleto", "Pay with boleto")
PORTAL_CARDS = (
    ("update-card", "pm_card_visa", "Use card 4242"),
    ("update-card-mastercard", "pm_card_mastercard", "Use Mastercard 4444"),
    ("update-card-declining", "pm_card_chargeDeclined", "Use declining card 0002"),
)
NO_PAYMENT_METHOD = "none"

PageHandler = Callable[[Call], Response]


def html_errors(handler: PageHandler) -> PageHandler:
    """Refusals as an HTML page with Stripe's status, not the API's JSON error."""

    def wrapped(call: Call) -> Response:
        try:
            return handler(call)
        except StripeError as exc:
            body = f'<p class="error" id="page-error" role="alert">{esc(exc.message)}</p>'
            return html_response(page_html("Something went wrong", body), exc.status)

    return wrapped


def _price_label(state: EmulatorState, price: Price, quantity: int = 1) -> str:
    product = state.store.products.get(price.product)
    amount = money(price.unit_amount * quantity)
    every = "" if price.interval is None else f" / {price.interval}"
    times = f"{quantity} {TIMES} " if quantity != 1 else ""
    return f"{times}{product.name} — {amount}{every}"


def _buttons(buttons: tuple[tuple[str, str, str], ...]) -> str:
    return "\n".join(
        f'<button type="submit" id="{esc(button_id)}" name="payment_method" '
        f'value="{esc(token)}">{esc(label)}</button>'
        for button_id, token, label in buttons
    )


def _action_button(button_id: str, action: str, label: str) -> str:
    return (
        f'<button type="submit" id="{esc(button_id)}" name="action" value="{esc(action)}">'
        f"{esc(label)}</button>"
    )


def _error(message: str | None) -> str:
    if not message:
        return ""
    return f'<p class="error" id="page-error" role="alert">{esc(message)}</p>'


# -- Checkout --------------------------------------------------------------------------------


def _checkout_page(state: EmulatorState, session: CheckoutSession, error: str | None = None) -> str:
    price = state.store.prices.get(session.price)
    customer = state.store.customers.find(session.customer)
    email = customer.email if customer else session.customer_email
    if session.status != "open":
        done = session.status == "complete"
        body = f'<p id="session-status">This checkout is {esc(session.status)}.</p>' + (
            f'<p><a id="success-link" href="{esc(session.success_url)}">Continue</a></p>'
            if done
            else ""
        )
        return page_html("Checkout", body)
    trial = ""
    if session.trial_period_days:
        trial = (
            f'<p id="trial">{session.trial_period_days}-day free trial; the first charge is '
            "at its end.</p>"
        )
    buttons: tuple[tuple[str, str, str], ...] = CARD_BUTTONS
    if not session.payment_method_types or "boleto" in session.payment_method_types:
        buttons = (*buttons, BOLETO_BUTTON)
    skip = ""
    if session.trial_period_days and session.payment_method_collection == "if_required":
        skip = (
            f'<button type="submit" id="start-trial" name="payment_method" '
            f'value="{NO_PAYMENT_METHOD}">Start trial without a card</button>'
        )
    cancel = ""
    if session.cancel_url:
        cancel = f'<p><a id="cancel-link" href="{esc(session.cancel_url)}">Cancel</a></p>'
    body = f"""{_error(error or session.last_error)}
<p id="line-item">{esc(_price_label(state, price, session.quantity))}</p>
<p>Total: <strong id="amount">{esc(money(price.unit_amount * session.quantity))}</strong></p>
{trial}
<form method="post" action="/checkout/{esc(session.id)}" id="payment-form">
<fieldset><legend>Payment</legend>
<p><label for="email">Email</label>
<input id="email" name="email" type="email" value="{esc(email or "")}" readonly></p>
<p><label for="card-number">Card number</label>
<input id="card-number" name="card_number" value="4242 4242 4242 4242" readonly></p>
{_buttons(buttons)}
{skip}
</fieldset>
</form>
{cancel}"""
    return page_html("Checkout", body)


@html_errors
def checkout_get(call: Call) -> Response:
    session = call.state.store.checkout_sessions.get(call.arg("id"))
    return html_response(_checkout_page(call.state, session))


@html_errors
def checkout_post(call: Call) -> Response:
    state = call.state
    session = state.store.checkout_sessions.get(call.arg("id"))
    token = call.request.form.get("payment_method", "")
    try:
        session_complete(state, session, token=None if token == NO_PAYMENT_METHOD else token)
    except StripeError as exc:
        if session.status != "open":
            raise
        return html_response(_checkout_page(state, session, exc.message), exc.status)
    return redirect(session.success_url)


# -- Billing Portal --------------------------------------------------------------------------


def _portal_page(state: EmulatorState, portal: PortalSession, error: str | None = None) -> str:
    customer = state.store.customers.get(portal.customer)
    sub = portal_subscription(state, portal)
    features = portal_features(state, portal)
    action = f"/portal/{esc(portal.id)}"
    parts = [_error(error), f'<p id="customer">{esc(customer.email or customer.id)}</p>']
    if sub is None:
        parts.append('<p id="no-subscription">No current plan.</p>')
    else:
        item = sub.items[0]
        price = state.store.prices.get(item.price)
        status = f"Renews {day_label(sub.current_period_end)}"
        if sub.cancel_at_period_end:
            status = f"Cancels {day_label(sub.current_period_end)}"
        elif sub.status == "trialing" and sub.trial_end is not None:
            status = f"Trial ends {day_label(sub.trial_end)}"
        parts.append(
            f'<h2>Current plan</h2><p id="current-plan">'
            f"{esc(_price_label(state, price, item.quantity))}</p>"
            f'<p id="subscription-status">{esc(sub.status)} · {esc(status)}</p>'
        )
        if sub.cancel_at_period_end:
            cancel = _action_button("renew-subscription", "undo_cancel", "Don't cancel")
        else:
            cancel = _action_button("cancel-subscription", "cancel", "Cancel plan")
        if features["subscription_cancel"]["enabled"]:
            parts.append(f'<form method="post" action="{action}" class="inline">{cancel}</form>')
        offers = [
            f'<form method="post" action="{action}" class="inline">'
            f'<input type="hidden" name="action" value="switch">'
            f'<button type="submit" id="switch-{esc(p.id)}" name="price" value="{esc(p.id)}">'
            f"Switch to {esc(_price_label(state, p, item.quantity))}</button></form>"
            for p in portal_prices(state, portal, sub)
        ]
        if offers and not sub.cancel_at_period_end:
            parts.append("<h2>Change plan</h2>" + "\n".join(offers))
    method = state.store.payment_methods.find(customer.default_payment_method)
    shown = "none"
    if method is not None:
        shown = "Boleto" if method.type == "boleto" else f"{method.brand} •••• {method.last4}"
    cards = "\n".join(
        f'<button type="submit" id="{esc(button_id)}" name="payment_method" '
        f'value="{esc(token)}">{esc(label)}</button>'
        for button_id, token, label in PORTAL_CARDS
    )
    update_card = (
        f'<form method="post" action="{action}"><input type="hidden" name="action" '
        f'value="update_card">{cards}</form>'
        if features["payment_method_update"]["enabled"]
        else ""
    )
    parts.append(f'<h2>Payment method</h2><p id="payment-method">{esc(shown)}</p>{update_card}')
    rows = "\n".join(
        f'<tr><td><a id="invoice-{esc(i.id)}" href="/invoice/{esc(i.id)}">'
        f"{esc(i.number or i.id)}</a></td><td>{esc(day_label(i.created))}</td>"
        f"<td>{esc(money(i.total))}</td><td>{esc(i.status)}</td></tr>"
        for i in sorted(state.store.invoices, key=lambda i: i.seq, reverse=True)
        if i.customer == customer.id and i.status != "draft"
    )
    parts.append(
        '<h2>Invoices</h2><table id="invoices"><thead><tr><th scope="col">Number</th>'
        '<th scope="col">Date</th><th scope="col">Total</th><th scope="col">Status</th>'
        f"</tr></thead><tbody>{rows}</tbody></table>"
    )
    if portal.return_url:
        parts.append(
            f'<p><a id="return-link" href="{esc(portal.return_url)}">Return to Peepers</a></p>'
        )
    return page_html("Billing", "\n".join(parts))


@html_errors
def portal_get(call: Call) -> Response:
    portal = call.state.store.portal_sessions.get(call.arg("id"))
    return html_response(_portal_page(call.state, portal))


@html_errors
def portal_post(call: Call) -> Response:
    state = call.state
    portal = state.store.portal_sessions.get(call.arg("id"))
    form = call.request.form
    action = form.get("action", "")
    try:
        if action == "update_card":
            portal_payment_method(state, portal, token=form.get("payment_method", ""))
        else:
            sub = portal_subscription(state, portal)
            if sub is None:
                raise InvalidRequest("There is no current plan to change.")
            if action == "cancel":
                portal_cancel(state, portal, sub)
            elif action == "undo_cancel":
                portal_cancel(state, portal, sub, undo=True)
            elif action == "switch":
                portal_switch(state, portal, sub, price_id=form.get("price", ""))
            else:
                raise InvalidRequest(f"Unknown portal action: {action!r}.")
    except StripeError as exc:
        return html_response(_portal_page(state, portal, exc.message), exc.status)
    return redirect(f"/portal/{portal.id}")


# -- invoices, vouchers, receipts ------------------------------------------------------------


def _hosted_invoice(state: EmulatorState, invoice_id: str) -> Invoice:
    invoice = state.store.invoices.get(invoice_id)
    if invoice.finalized_at is None:
        raise InvalidRequest("This invoice is a draft and has no hosted page yet.")
    return invoice


def _invoice_page(state: EmulatorState, invoice: Invoice, error: str | None = None) -> str:
    customer = state.store.customers.find(invoice.customer)
    rows = "\n".join(
        f"<tr><td>{esc(line.description)}</td><td>{esc(money(line.amount))}</td></tr>"
        for line in invoice.lines
    )
    pay = ""
    if invoice.status == "open" and invoice.amount_remaining > 0:
        pay = (
            f'<form method="post" action="/invoice/{esc(invoice.id)}/pay" id="pay-form">'
            f"{_buttons((*CARD_BUTTONS, BOLETO_BUTTON))}</form>"
        )
    body = f"""{_error(error)}
<p>Invoice <strong id="invoice-number">{esc(invoice.number or invoice.id)}</strong>
for {esc((customer.email or customer.id) if customer else "")}</p>
<p>Status: <strong id="invoice-status">{esc(invoice.status)}</strong></p>
<table id="invoice-lines"><thead><tr><th scope="col">Description</th>
<th scope="col">Amount</th></tr></thead><tbody>{rows}</tbody></table>
<p>Subtotal: <span id="invoice-subtotal">{esc(money(invoice.subtotal))}</span></p>
<p>Tax: <span id="invoice-tax">{esc(money(invoice.tax))}</span></p>
<p>Total: <span id="invoice-total">{esc(money(invoice.total))}</span></p>
<p>Amount due: <strong id="amount-due">{esc(money(invoice.amount_remaining))}</strong></p>
{pay}
<p><a id="invoice-pdf" href="/invoice/{esc(invoice.id)}/pdf">Download PDF</a></p>"""
    return page_html("Invoice", body)


@html_errors
def invoice_get(call: Call) -> Response:
    invoice = _hosted_invoice(call.state, call.arg("id"))
    return html_response(_invoice_page(call.state, invoice))


@html_errors
def invoice_pay_post(call: Call) -> Response:
    state = call.state
    invoice = _hosted_invoice(state, call.arg("id"))
    try:
        customer = state.store.customers.get(invoice.customer)
        source = call.request.form.get("payment_method", "")
        method = payment_method_attach(state, source=source, customer=customer)
        invoice_pay(state, invoice, method=method, paid_out_of_band=False, off_session=False)
    except StripeError as exc:
        return html_response(_invoice_page(state, invoice, exc.message), exc.status)
    return redirect(f"/invoice/{invoice.id}")


@html_errors
def invoice_pdf(call: Call) -> Response:
    invoice = _hosted_invoice(call.state, call.arg("id"))
    return Response(
        pdf_document(invoice_text(call.state, invoice)),
        content_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{invoice.number or invoice.id}.pdf"'},
    )


@html_errors
def boleto_get(call: Call) -> Response:
    intent = call.state.store.payment_intents.get(call.arg("id"))
    details = (intent.next_action or {}).get("boleto_display_details")
    number = details.get("number", "") if isinstance(details, dict) else ""
    body = (
        f'<p>Amount: <strong id="boleto-amount">{esc(money(intent.amount))}</strong></p>'
        f'<p>Status: <span id="boleto-status">{esc(intent.status)}</span></p>'
        f'<p>Number: <code id="boleto-number">{esc(number)}</code></p>'
        "<p>Pay it with <code>POST /_emulator/pay_boleto</code>.</p>"
    )
    return html_response(page_html("Boleto", body))


@html_errors
def receipt_get(call: Call) -> Response:
    charge = call.state.store.charges.get(call.arg("id"))
    body = (
        f'<p>Amount: <strong id="receipt-amount">{esc(money(charge.amount))}</strong></p>'
        f'<p>Refunded: <span id="receipt-refunded">{esc(money(charge.amount_refunded))}</span></p>'
        f'<p>Status: <span id="receipt-status">{esc(charge.status)}</span></p>'
    )
    return html_response(page_html("Receipt", body))


ROUTES = (
    Route("/checkout/<id>", ("GET",), checkout_get, "page"),
    Route("/checkout/<id>", ("POST",), checkout_post, "page"),
    Route("/portal/<id>", ("GET",), portal_get, "page"),
    Route("/portal/<id>", ("POST",), portal_post, "page"),
    Route("/invoice/<id>", ("GET",), invoice_get, "page"),
    Route("/invoice/<id>/pay", ("POST",), invoice_pay_post, "page"),
    Route("/invoice/<id>/pdf", ("GET",), invoice_pdf, "page"),
    Route("/boleto/<id>", ("GET",), boleto_get, "page"),
    Route("/receipt/<id>", ("GET",), receipt_get, "page"),
)
