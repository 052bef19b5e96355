"""Receiving ML notifications: check, store, acknowledge; nothing slower in the request path.

ML turns a topic off when its callback answers slower than 500 ms, and what it sends while
the topic is off is lost. So the receiver does only this: source checks, one parse, one
``INSERT … ON CONFLICT DO NOTHING`` into the public inbox, then 200. Processing is handed to the
ledger's publisher thread once the insert commits (``inbox``) and, should that fail, to its
reconciler.
In emergency ack-only mode (runbook ``webhook-outage``) even the insert is skipped: the raw body
goes onto a Redis list that ``operations.runbooks.emergency`` drains into the inbox.
"""

from __future__ import annotations

import functools
import hashlib
import ipaddress
import json
import logging
import math
import re
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import DatabaseError, DataError, InterfaceError, OperationalError, connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from psycopg.types.json import Jsonb
from redis.exceptions import RedisError

from core.network import client_ip
from core.redis import redis_client, redis_key
from inbox.http import webhook_answer
from integrations.mercadolivre.inbox import ML_INBOX
from integrations.mercadolivre.upserts import moment
from integrations.models import MLNotification, NotificationStatus

logger = logging.getLogger(__name__)

MAX_BODY_BYTES = 64 * 1024
# Topics whose resources Peepers fetches; the rest are stored and marked ignored.
SYNCED_TOPICS = frozenset({"orders_v2", "items", "questions"})
# ML's notifications are flat (``actions`` is a list of strings); anything deeper is not ML.
MAX_PAYLOAD_DEPTH = 8
BIGINT_MAX = 2**63 - 1  # the inbox's ``ml_user_id`` and the stores' ML ids are bigint
ASCII_DIGITS = re.compile(r"[0-9]{1,19}")
UNPAIRED_SURROGATE = re.compile("[\ud800-\udfff]")
# How long a process trusts its last reading of the ack-only flag: one GET a second at most.
ACK_ONLY_CACHE_SECONDS = 1.0


class InvalidNotification(ValueError):
    """The body is not a notification we can store; the message names what is wrong."""


@dataclass(frozen=True)
class Notification:
    dedup_key: str
    topic: str
    resource: str
    ml_user_id: int
    application_id: str
    attempts: int
    sent_at: datetime | None
    ml_received_at: datetime | None
    payload: dict[str, Any]


def notification_parse(body: object) -> Notification:
    """Validate one notification, tolerating ML's real quirks (ml-api.md §2.2)."""
    if not isinstance(body, dict):
        raise InvalidNotification("the body must be a JSON object")
    payload_check(body)
    missing = [
        name for name in ("topic", "resource", "user_id", "application_id") if name not in body
    ]
    if missing:
        raise InvalidNotification(f"missing field(s): {', '.join(missing)}")
    topic, resource = body["topic"], body["resource"]
    if not isinstance(topic, str) or not topic or len(topic) > 64:
        raise InvalidNotification("topic must be a non-empty string")
    if not isinstance(resource, str) or not resource or len(resource) > 300:
        raise InvalidNotification("resource must be a non-empty string")
    user_id = ml_user_id_parse(body["user_id"])
    application_id = body["application_id"]
    if (
        isinstance(application_id, bool)
        or not isinstance(application_id, int | str)
        or not str(application_id).strip()
    ):
        raise InvalidNotification("application_id must be a number or a string")
    attempts = body.get("attempts", 1)
    if isinstance(attempts, bool) or not isinstance(attempts, int):
        attempts = 1
    if not resource.startswith("/"):
        resource = f"/{resource}"  # some topics send "suggestions/items/…"
    sent = body.get("sent")
    received = body.get("received", body.get("recieved"))  # ML misspells it in some topics
    return Notification(
        dedup_key=notification_dedup_key(
            body,
            topic=topic,
            resource=resource,
            ml_user_id=user_id,
            application_id=str(application_id),
            received=received,
            sent=sent,
        ),
        topic=topic,
        resource=resource,
        ml_user_id=user_id,
        application_id=str(application_id)[:40],
        attempts=max(1, min(attempts, 1000)),
        sent_at=_moment(sent),
        ml_received_at=_moment(received),
        payload=body,
    )


def ml_user_id_parse(value: object) -> int:
    """ML's ``user_id`` (an int, a string in some topics) as a positive int64 (bigint)."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise InvalidNotification("user_id must be a positive integer")
    text = str(value)
    if not ASCII_DIGITS.fullmatch(text) or not 0 < int(text) <= BIGINT_MAX:
        raise InvalidNotification(f"user_id must be a positive integer up to {BIGINT_MAX}")
    return int(text)


def notification_dedup_key(
    body: dict[str, Any],
    *,
    topic: str,
    resource: str,
    ml_user_id: int,
    application_id: str,
    received: object,
    sent: object,
) -> str:
    """What makes two deliveries the same event, for the inbox's unique ``dedup_key``.

    ML's ``_id`` (or ``id``) when it sends one. The ``orders_v2``, ``items`` and ``questions``
    notifications carry none (NOTIF's examples), so the event is named by topic, resource,
    user and application plus ``received``, ML's time of the event, which a redelivery keeps
    while ``sent`` and ``attempts`` change on every attempt. One resource changes many times,
    so the four fields alone would swallow every later change of an order. Only when
    ``received`` is missing too does ``sent`` stand in for it.
    """
    ml_id = body.get("_id", body.get("id"))
    if isinstance(ml_id, str | int) and not isinstance(ml_id, bool) and str(ml_id).strip():
        return f"ml:{str(ml_id).strip()[:76]}"
    when = received if isinstance(received, str) and received else f"sent:{sent}"
    digest = hashlib.sha256(
        f"{topic}|{resource}|{ml_user_id}|{application_id}|{when}".encode(),
        usedforsecurity=False,
    ).hexdigest()
    return f"ev:{digest[:64]}"


def _moment(value: object) -> datetime | None:
    """A timestamp of the notification, or None when it is missing or not a real date."""
    try:
        return moment(value)
    except ValueError:  # well-formed but impossible, e.g. month 13
        return None


def payload_check(body: object) -> None:
    """Refuse what the inbox cannot store, walking the body without recursion.

    PostgreSQL refuses NUL in text and ``\\u0000`` in jsonb, and UTF-8 has no lone surrogates;
    ML's notifications are flat, so nesting beyond ``MAX_PAYLOAD_DEPTH`` is not from ML.
    """
    stack: list[tuple[object, int, str]] = [(body, 1, "")]
    while stack:
        value, depth, field = stack.pop()
        if isinstance(value, dict | list) and depth > MAX_PAYLOAD_DEPTH:
            raise InvalidNotification(f"the body nests deeper than {MAX_PAYLOAD_DEPTH} levels")
        if isinstance(value, dict):
            for key, item in value.items():
                _text_check(key)
                stack.append((item, depth + 1, field or key))
        elif isinstance(value, list):
            stack.extend((item, depth + 1, field) for item in value)
        elif isinstance(value, str):
            _text_check(value)
        elif isinstance(value, int) and not isinstance(value, bool) and abs(value) > BIGINT_MAX:
            raise InvalidNotification(f"{field or 'a number'} is beyond a 64-bit integer")
        elif isinstance(value, float) and not math.isfinite(value):
            raise InvalidNotification(f"{field or 'a number'} is not a finite number")


def _text_check(text: str) -> None:
    if "\x00" in text:
        raise InvalidNotification("the body contains a NUL character (\\u0000)")
    if UNPAIRED_SURROGATE.search(text):
        raise InvalidNotification("the body contains an unpaired UTF-16 surrogate")


def body_load(raw: bytes | str) -> object:
    """The JSON of a request body; ``InvalidNotification`` when it is not JSON we can read."""
    try:
        return json.loads(raw)
    except RecursionError:
        raise InvalidNotification(
            f"the body nests deeper than {MAX_PAYLOAD_DEPTH} levels"
        ) from None
    except ValueError:  # includes bytes that are not UTF-8
        raise InvalidNotification("malformed JSON") from None


def notification_store(notification: Notification, *, source: str) -> int | None:
    """Insert into the inbox; the new row's id, or None when it was a duplicate."""
    status = (
        NotificationStatus.PENDING
        if notification.topic in SYNCED_TOPICS
        else NotificationStatus.IGNORED
    )
    table = connection.ops.quote_name(MLNotification._meta.db_table)
    # One statement in autocommit: one round trip, durable when it returns.
    with connection.cursor() as cursor:
        params: list[Any] = [
            notification.dedup_key,
            notification.topic,
            notification.resource,
            notification.ml_user_id,
            notification.application_id,
            notification.attempts,
            notification.sent_at,
            notification.ml_received_at,
            Jsonb(notification.payload),
            source,
            status,
        ]
        cursor.execute(
            f"INSERT INTO {table} (dedup_key, topic, resource, ml_user_id, application_id, "  # noqa: S608
            "attempts, sent_at, ml_received_at, payload, source, status) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) "
            "ON CONFLICT (dedup_key) DO NOTHING RETURNING id",
            params,
        )
        row = cursor.fetchone()
    if row is None:
        return None
    if status == NotificationStatus.PENDING:
        ML_INBOX.dispatch(int(row[0]), notification.topic)
    return int(row[0])


@functools.cache
def _allowed_networks(
    entries: tuple[str, ...],
) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(
        ipaddress.ip_network(entry.strip(), strict=False) for entry in entries if entry.strip()
    )


def source_allowed(request: HttpRequest) -> bool:
    entries = tuple(settings.ML_WEBHOOK_ALLOWED_IPS)
    if not entries:
        return True
    found = client_ip(request, trusted_proxies=settings.ML_WEBHOOK_TRUSTED_PROXIES)
    if found is None:
        return False
    address = ipaddress.ip_address(found)
    return any(address in network for network in _allowed_networks(entries))


def ack_only_flag_key() -> str:
    return redis_key("ml-webhook", "ack-only")


def ack_only_queue_key() -> str:
    return redis_key("ml-webhook", "ack-only-bodies")


_ack_only_seen: tuple[float, bool] = (
    -ACK_ONLY_CACHE_SECONDS,
    False,
)  # (monotonic time read, flag on)


def ack_only_active() -> bool:
    """Whether emergency ack-only mode is on; Redis unreachable reads as off (normal path)."""
    global _ack_only_seen
    read_at, active = _ack_only_seen
    now = time.monotonic()
    if now - read_at < ACK_ONLY_CACHE_SECONDS:
        return active
    try:
        active = bool(redis_client().exists(ack_only_flag_key()))
    except RedisError:
        active = False
    _ack_only_seen = (now, active)
    return active


def ack_only_forget() -> None:
    """Drop this process's cached reading of the flag (after changing it here)."""
    global _ack_only_seen
    _ack_only_seen = (-ACK_ONLY_CACHE_SECONDS, False)


def _ack_only_push(body: bytes) -> bool:
    """Queue the raw body for the drainer; False when Redis cannot take it."""
    try:
        redis_client().lpush(ack_only_queue_key(), body)
    except RedisError:
        logger.warning("ack-only mode: Redis unavailable, storing the notification directly")
        return False
    return True


_answer = functools.partial(webhook_answer, "ml_webhook")


@csrf_exempt
@require_POST
def ml_webhook(request: HttpRequest) -> JsonResponse:
    """``POST /api/webhook/mercado-livre``: 200 accepted (duplicates too), or why not."""
    started = time.perf_counter()
    if not source_allowed(request):
        return _answer(403, "forbidden_source", started, error="source address not allowed")
    length = request.META.get("CONTENT_LENGTH") or "0"
    if not length.isdigit() or int(length) > MAX_BODY_BYTES:
        return _answer(413, "too_large", started, error=f"body over {MAX_BODY_BYTES} bytes")
    body = request.read(MAX_BODY_BYTES + 1)
    if len(body) > MAX_BODY_BYTES:
        return _answer(413, "too_large", started, error=f"body over {MAX_BODY_BYTES} bytes")
    if ack_only_active() and _ack_only_push(body):
        return _answer(200, "ack_only", started, status="accepted")
    try:
        notification = notification_parse(body_load(body))
    except InvalidNotification as exc:
        return _answer(400, "invalid", started, error=str(exc))
    if notification.application_id != str(settings.ML_CLIENT_ID):
        return _answer(403, "wrong_application", started, error="unknown application_id")
    # No per-request health check on this path (a round trip that cost a third of its CPU):
    # a stale connection fails the insert, which is retried once on a fresh one.
    connection.health_check_done = True  # type: ignore[attr-defined]  # Django's, unstubbed
    try:
        try:
            created = notification_store(notification, source="webhook")
        except (InterfaceError, OperationalError):
            connection.close()
            created = notification_store(notification, source="webhook")
    except DataError as exc:
        # A value PostgreSQL refuses is the sender's, and sending it again will not help.
        logger.warning("notification refused by the inbox: %s", exc)
        connection.close()
        return _answer(400, "invalid", started, error="a value in the body cannot be stored")
    except DatabaseError:
        logger.exception("inbox unavailable; ML will retry the notification")
        connection.close()  # a broken connection must not serve the next request
        return _answer(503, "unavailable", started, status="unavailable")
    return _answer(200, "accepted" if created else "duplicate", started, status="accepted")
