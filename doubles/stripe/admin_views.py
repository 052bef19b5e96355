"""``/_emulator/*``: inspect, reset, move the clock, play customer and bank, faults, webhooks.

Guarded like the API (any ``sk_test_`` key, app.py) and never faulted. Bodies are JSON. Views
take the state lock themselves, except ``webhooks/flush``, which must not hold it while it
waits: the receiver it delivers to may call the API back.
"""

from __future__ import annotations

import json
import time

from doubles.stripe.checkout import session_complete
from doubles.stripe.clock import iso
from doubles.stripe.collection import boleto_outcome
from doubles.stripe.errors import InvalidRequest
from doubles.stripe.lifecycle import advance
from doubles.stripe.payments import dispute_create
from doubles.stripe.web import JSON, Call, Route

# ``payment_method`` of ``POST /_emulator/checkout/<id>/complete`` → Stripe test token.
CHECKOUT_METHODS: dict[str, str | None] = {
    "card": "pm_card_visa",
    "card_declined": "pm_card_chargeDeclined",
    "card_authentication_required": "pm_card_authenticationRequired",
    "boleto": "pm_boleto",
    "none": None,
}
FLUSH_TIMEOUT_SECONDS = 30.0


def _str(body: JSON, name: str) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not value:
        raise InvalidRequest(f"{name} must be a non-empty string", param=name)
    return value


def _flag(body: JSON, name: str) -> bool | None:
    value = body.get(name)
    if value is not None and not isinstance(value, bool):
        raise InvalidRequest(f"{name} must be true or false", param=name)
    return value


def _unknown(body: JSON, *allowed: str) -> None:
    for name in sorted(body):
        if name not in allowed:
            raise InvalidRequest(f"unknown field: {name}", param=name)


def state_get(call: Call) -> JSON:
    return call.state.summary()


def reset_post(call: Call) -> JSON:
    call.state.reset()
    return call.state.summary()


def advance_post(call: Call) -> JSON:
    """``{"seconds": N}`` or ``{"to": <unix>}``: run what falls due, in time order."""
    body = call.json_body()
    _unknown(body, "seconds", "to")
    seconds, to = body.get("seconds"), body.get("to")
    state = call.state
    with state.lock:
        if (seconds is None) == (to is None):
            raise InvalidRequest('send exactly one of {"seconds": N} or {"to": <unix time>}')
        for name, value in (("seconds", seconds), ("to", to)):
            if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
                raise InvalidRequest(f"{name} must be an integer", param=name)
        start = state.now()
        target = start + int(seconds) if isinstance(seconds, int) else int(str(to))
        if target < start:
            raise InvalidRequest(
                f"the emulator clock never goes back (now {start}, asked {target})", param="to"
            )
        last_seq = max((e.seq for e in state.store.events), default=0)
        ran = advance(state, to=target)
        events = [
            {"id": e.id, "type": e.type, "created": e.created}
            for e in state.store.events
            if e.seq > last_seq
        ]
        return {
            "from": start,
            "now": state.now(),
            "iso": iso(state.now()),
            "ran": ran,
            "events": events,
        }


def checkout_complete_post(call: Call) -> JSON:
    """``{"payment_method": "card"|"card_declined"|"card_authentication_required"|"boleto"|
    "none"}`` (default ``card``), or any Stripe test token; a decline answers 402."""
    body = call.json_body()
    _unknown(body, "payment_method")
    choice = body.get("payment_method", "card")
    if not isinstance(choice, str):
        raise InvalidRequest("payment_method must be a string", param="payment_method")
    token = CHECKOUT_METHODS.get(choice, choice)
    state = call.state
    with state.lock:
        session = state.store.checkout_sessions.get(call.arg("id"))
        return state.render(session_complete(state, session, token=token))


def dispute_post(call: Call) -> JSON:
    """``{"charge": "ch_..."}``: the cardholder disputes it (``charge.dispute.created``)."""
    body = call.json_body()
    _unknown(body, "charge")
    state = call.state
    with state.lock:
        charge = state.store.charges.get(_str(body, "charge"), param="charge")
        return state.render(dispute_create(state, charge=charge))


def pay_boleto_post(call: Call) -> JSON:
    """``{"payment_intent": "pi_...", "paid": true|false}``: the voucher is paid or expires."""
    body = call.json_body()
    _unknown(body, "payment_intent", "paid")
    paid = _flag(body, "paid")
    state = call.state
    with state.lock:
        intent = state.store.payment_intents.get(
            _str(body, "payment_intent"), param="payment_intent"
        )
        boleto_outcome(state, intent=intent, paid=True if paid is None else paid)
        return state.render(intent)


def faults_post(call: Call) -> JSON:
    """``{"outage": bool, "latency_ms": int, "error_fraction": 0..1,
    "rate_limit_fraction": 0..1}`` (any subset); answers the settings now in force."""
    body = call.json_body()
    with call.state.lock:
        return call.state.faults.update(body).to_json()


def webhooks_get(call: Call) -> JSON:
    return call.state.webhooks.summary()


def webhooks_post(call: Call) -> JSON:
    """``{"url": str|null, "secret": str, "out_of_order": bool, "duplicate": bool,
    "paused": bool}`` (any subset); answers the summary."""
    body = call.json_body()
    _unknown(body, "url", "secret", "out_of_order", "duplicate", "paused")
    sender = call.state.webhooks
    if "url" in body:
        url = body["url"]
        if url is not None and (not isinstance(url, str) or not url.startswith("http")):
            raise InvalidRequest("url must be an http(s) URL or null", param="url")
        secret = _str(body, "secret") if "secret" in body else None
        sender.retarget(url=url, secret=secret)
    elif "secret" in body:
        sender.retarget(url=sender.url, secret=_str(body, "secret"))
    sender.configure(
        out_of_order=_flag(body, "out_of_order"),
        duplicate=_flag(body, "duplicate"),
        paused=_flag(body, "paused"),
    )
    return sender.summary()


def webhooks_flush_post(call: Call) -> JSON:
    """Deliver everything queued now and wait for the answers (``{"timeout": s}``, 30 s)."""
    body = call.json_body()
    _unknown(body, "timeout")
    timeout = body.get("timeout", FLUSH_TIMEOUT_SECONDS)
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or timeout <= 0:
        raise InvalidRequest("timeout must be a positive number of seconds", param="timeout")
    started = time.monotonic()
    summary = call.state.webhooks.flush(float(timeout))
    return {**summary, "waited_ms": round((time.monotonic() - started) * 1000)}


def event_resend_post(call: Call) -> JSON:
    """Queue the event's webhook again, unchanged (as the Dashboard's "Resend" does)."""
    state = call.state
    with state.lock:
        event = state.store.events.get(call.arg("id"))
        if state.webhooks.url is None:
            raise InvalidRequest("No webhook URL is set; POST /_emulator/webhooks first.")
        event.pending_webhooks = 1
        payload = json.dumps(state.render(event), indent=2)
    state.webhooks.enqueue(event_id=event.id, event_type=event.type, payload=payload)
    return {"id": event.id, "type": event.type, "queued": True}


ROUTES = (
    Route("/_emulator/state", ("GET",), state_get, "admin"),
    Route("/_emulator/reset", ("POST",), reset_post, "admin"),
    Route("/_emulator/advance", ("POST",), advance_post, "admin"),
    Route("/_emulator/checkout/<id>/complete", ("POST",), checkout_complete_post, "admin"),
    Route("/_emulator/dispute", ("POST",), dispute_post, "admin"),
    Route("/_emulator/pay_boleto", ("POST",), pay_boleto_post, "admin"),
    Route("/_emulator/faults", ("POST",), faults_post, "admin"),
    Route("/_emulator/webhooks", ("GET",), webhooks_get, "admin"),
    Route("/_emulator/webhooks", ("POST",), webhooks_post, "admin"),
    Route("/_emulator/webhooks/flush", ("POST",), webhooks_flush_post, "admin"),
    Route("/_emulator/events/<id>/resend", ("POST",), event_resend_post, "admin"),
)
