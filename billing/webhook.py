"""Receiving Stripe webhooks: verify the signature on the raw body, store, acknowledge.

The request path does only this: a size check, the ``Stripe-Signature`` check against every
configured secret (rotation), one parse, one ``INSERT … ON CONFLICT`` into the event inbox keyed
by the event id, then 200. Processing runs in Celery once the insert commits (``billing.events``,
``inbox.ledger``); if the broker is down the row stays pending and the reconciler sends it.

A signed body is still checked before it is stored: JSON without ``Infinity``/``NaN``, nested no
deeper than ``MAX_DEPTH``, no string PostgreSQL cannot keep (NUL, lone surrogates), a ``created``
that is a real moment. Whatever fails is the sender's fault and answered 400 with the reason;
503 is kept for a database that is really away, so Stripe retries only what can succeed.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import json
import logging
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import DatabaseError, DataError, connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from psycopg.types.json import Jsonb

from billing.closure import stripe_payload_storable
from billing.errors import PayloadInvalid, SignatureInvalid
from billing.events import STRIPE_INBOX
from billing.models import StripeEvent
from billing.stripe_api import LATEST_MOMENT, moment
from inbox.http import webhook_answer

logger = logging.getLogger(__name__)

MAX_BODY_BYTES = 256 * 1024  # Stripe events are a few KB; a full invoice with lines stays far below
SCHEME = "v1"
TIMESTAMP = re.compile(r"[0-9]{1,12}")  # ASCII digits only: str.isdigit() accepts "²"
MAX_DEPTH = 64  # Stripe's events nest a dozen levels; expanded objects add a few
UNSTORABLE = re.compile(r"[\x00\ud800-\udfff]")  # NUL and lone surrogates: not text to PostgreSQL


def signature_verify(
    *, payload: bytes, header: str, secrets: Sequence[str], tolerance: int, now: float
) -> int:
    """The signed timestamp if any ``v1`` signature matches any secret within ``tolerance``.

    Stripe signs ``"<t>.<raw body>"`` with HMAC-SHA256. Unlike stripe-python, timestamps too far
    in the *future* are refused as well: a clock that far off is not Stripe's.
    """
    if not header:
        raise SignatureInvalid("missing Stripe-Signature header")
    timestamps: list[str] = []
    signatures: list[str] = []
    for part in header.split(","):
        key, sep, value = part.strip().partition("=")
        if not sep:
            continue
        if key == "t":
            timestamps.append(value)
        elif key == SCHEME:
            signatures.append(value)
    if len(timestamps) != 1 or not TIMESTAMP.fullmatch(timestamps[0]):
        raise SignatureInvalid("Stripe-Signature has no valid timestamp")
    if not signatures:
        raise SignatureInvalid("Stripe-Signature has no v1 signature")
    timestamp = int(timestamps[0])
    if abs(now - timestamp) > tolerance:
        raise SignatureInvalid("timestamp outside the tolerance (replayed or clock skew)")
    if not secrets:
        raise SignatureInvalid("no webhook signing secret is configured")
    signed = timestamps[0].encode() + b"." + payload
    for secret in secrets:
        expected = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
        if any(hmac.compare_digest(expected, candidate) for candidate in signatures):
            return timestamp
    raise SignatureInvalid("no signature matches a configured secret")


@dataclass(frozen=True)
class IncomingEvent:
    event_id: str
    type: str
    api_version: str
    livemode: bool
    created: datetime
    object_id: str
    payload: dict[str, Any]


def _no_constant(name: str) -> object:
    raise PayloadInvalid(f"the body is not JSON ({name} is not a JSON value)")


def _storable(body: object) -> None:
    """Refuse what the inbox could not keep: nesting past ``MAX_DEPTH``, text with NUL or lone
    surrogates (walked without recursion, so no depth can exhaust the stack)."""
    pending: list[tuple[object, int]] = [(body, 1)]
    while pending:
        node, depth = pending.pop()
        if depth > MAX_DEPTH:
            raise PayloadInvalid(f"the body nests deeper than {MAX_DEPTH} levels")
        if isinstance(node, dict):
            for key, value in node.items():
                if UNSTORABLE.search(key):
                    raise PayloadInvalid("the body holds a NUL character or a lone surrogate")
                pending.append((value, depth + 1))
        elif isinstance(node, list):
            pending.extend((value, depth + 1) for value in node)
        elif isinstance(node, str) and UNSTORABLE.search(node):
            raise PayloadInvalid("the body holds a NUL character or a lone surrogate")


def _created(value: object) -> datetime:
    if isinstance(value, bool) or not isinstance(value, int):
        raise PayloadInvalid("the event's created is not a whole number of seconds")
    if not 0 < value <= LATEST_MOMENT:
        raise PayloadInvalid("the event's created is not a moment a calendar can hold")
    created = moment(value)
    assert created is not None  # positive and in range
    return created


def event_parse(payload: bytes) -> IncomingEvent:
    try:
        body = json.loads(payload, parse_constant=_no_constant)
    except (ValueError, UnicodeDecodeError):
        raise PayloadInvalid("the body is not JSON") from None
    except RecursionError:
        raise PayloadInvalid(f"the body nests deeper than {MAX_DEPTH} levels") from None
    _storable(body)
    if not isinstance(body, dict) or body.get("object") != "event":
        raise PayloadInvalid("the body is not a Stripe event object")
    event_id, event_type = body.get("id"), body.get("type")
    if not isinstance(event_id, str) or not event_id or len(event_id) > 255:
        raise PayloadInvalid("the event has no id")
    if not isinstance(event_type, str) or not event_type or len(event_type) > 100:
        raise PayloadInvalid("the event has no type")
    data = body.get("data")
    if not isinstance(data, dict) or not isinstance(data.get("object"), dict):
        raise PayloadInvalid("the event has no data.object")
    obj = data["object"]
    return IncomingEvent(
        event_id=event_id,
        type=event_type,
        api_version=str(body.get("api_version") or "")[:40],
        livemode=bool(body.get("livemode")),
        created=_created(body.get("created")),
        object_id=str(obj.get("id") or "")[:255],
        payload=body,
    )


def event_store(event: IncomingEvent) -> tuple[int, bool]:
    """Insert into the inbox (a redelivery only counts); the row id and whether it is new."""
    table = connection.ops.quote_name(StripeEvent._meta.db_table)
    with connection.cursor() as cursor:
        params: list[Any] = [
            event.event_id,
            event.type,
            event.api_version,
            event.livemode,
            event.created,
            event.object_id,
            Jsonb(stripe_payload_storable(event.payload)),
        ]
        cursor.execute(
            f"INSERT INTO {table} AS e (event_id, type, api_version, livemode, stripe_created, "  # noqa: S608
            "object_id, payload, status) VALUES (%s, %s, %s, %s, %s, %s, %s, 'pending') "
            "ON CONFLICT (event_id) DO UPDATE SET deliveries = e.deliveries + 1 "
            "RETURNING id, (xmax = 0)",
            params,
        )
        row = cursor.fetchone()
    assert row is not None  # INSERT … ON CONFLICT DO UPDATE always returns the row
    return int(row[0]), bool(row[1])


_answer = functools.partial(webhook_answer, "stripe_webhook")


@csrf_exempt
@require_POST
def stripe_webhook(request: HttpRequest) -> JsonResponse:
    """``POST /api/webhook/stripe``: 200 once verified and stored (duplicates too), else why."""
    started = time.perf_counter()
    length = request.META.get("CONTENT_LENGTH") or "0"
    if not length.isdigit() or int(length) > MAX_BODY_BYTES:
        return _answer(413, "too_large", started, error=f"body over {MAX_BODY_BYTES} bytes")
    payload = request.read(MAX_BODY_BYTES + 1)
    if len(payload) != int(length):
        return _answer(400, "truncated", started, error="body shorter than Content-Length")
    try:
        signature_verify(
            payload=payload,
            header=request.META.get("HTTP_STRIPE_SIGNATURE", ""),
            secrets=settings.STRIPE_WEBHOOK_SECRET,
            tolerance=settings.STRIPE_WEBHOOK_TOLERANCE_SECONDS,
            now=time.time(),
        )
        event = event_parse(payload)
    except SignatureInvalid as exc:
        return _answer(400, "bad_signature", started, error=exc.message)
    except PayloadInvalid as exc:
        return _answer(400, "bad_payload", started, error=exc.message)
    live_keys = settings.STRIPE_SECRET_KEY.startswith(("sk_live_", "rk_live_"))
    if event.livemode != live_keys:
        # A test-mode event at a live endpoint (or the reverse) is a misconfigured endpoint.
        return _answer(
            400,
            "wrong_mode",
            started,
            error=f"a {'live' if event.livemode else 'test'}-mode event, but this server "
            f"uses {'live' if live_keys else 'test'}-mode keys",
        )
    try:
        row_id, new = event_store(event)
    except DataError as exc:
        # The database is there and refuses this event's data: retrying cannot help.
        logger.warning("stripe event %s refused by the database: %s", event.event_id, exc)
        return _answer(400, "bad_payload", started, error="the event cannot be stored as sent")
    except DatabaseError:
        logger.exception("could not store stripe event %s", event.event_id)
        # Stripe retries a 5xx: nothing is lost while the database is away.
        return _answer(503, "db_unavailable", started, error="temporarily unavailable")
    if new:
        STRIPE_INBOX.dispatch(row_id, event.type)
    return _answer(200, "stored" if new else "duplicate", started, received=True, duplicate=not new)
