"""Webhook emergency ack-only mode: the switch, and the drainer that empties its Redis list.

While the flag is on, ``integrations.mercadolivre.webhook`` answers after the source and size
checks and pushes the raw body onto a Redis list instead of inserting it. The drainer parses
and stores each body through the webhook's own ``notification_parse`` and
``notification_store``, so the inbox's unique key absorbs duplicates; it removes a batch from
the list only after storing it, so a crash mid-batch re-reads it rather than losing it.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from core.metrics import metric_count
from core.redis import redis_client, redis_key
from integrations.mercadolivre.webhook import (
    InvalidNotification,
    ack_only_flag_key,
    ack_only_forget,
    ack_only_queue_key,
    body_load,
    notification_parse,
    notification_store,
)

logger = logging.getLogger(__name__)

ACK_ONLY_DEFAULT_MINUTES = 60
DRAIN_BATCH_SIZE = 200
DRAIN_LOCK_SECONDS = 120
DRAINED_SOURCE = "ack_only"  # MLNotification.source of rows stored by the drainer

# Delete the lock only if it is still ours (it may have expired and been taken since).
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


@dataclass(frozen=True)
class AckOnlyState:
    on: bool
    seconds_left: int  # 0 when off
    queued: int


@dataclass(frozen=True)
class DrainReport:
    stored: int = 0
    duplicates: int = 0
    malformed: int = 0
    wrong_application: int = 0
    remaining: int = 0
    skipped: bool = False  # another drainer holds the lock


def ack_only_enable(*, minutes: int = ACK_ONLY_DEFAULT_MINUTES) -> datetime:
    """Switch ack-only mode on for ``minutes`` (it expires by itself); when it ends."""
    if minutes <= 0:
        raise ValueError("minutes must be positive")
    redis_client().set(ack_only_flag_key(), timezone.now().isoformat(), ex=minutes * 60)
    ack_only_forget()
    return timezone.now() + timedelta(minutes=minutes)


def ack_only_disable() -> bool:
    """Switch ack-only mode off; whether it was on. Queued bodies stay until drained."""
    was_on = bool(redis_client().delete(ack_only_flag_key()))
    ack_only_forget()
    return was_on


def ack_only_state() -> AckOnlyState:
    client = redis_client()
    pipe = client.pipeline(transaction=False)
    pipe.ttl(ack_only_flag_key())
    pipe.llen(ack_only_queue_key())
    ttl, queued = pipe.execute()
    return AckOnlyState(on=int(ttl) != -2, seconds_left=max(0, int(ttl)), queued=int(queued))


def ack_only_drain() -> DrainReport:
    """Store every queued body in the inbox, oldest first; one drainer at a time."""
    client = redis_client()
    queue, lock = ack_only_queue_key(), redis_key("ml-webhook", "ack-only-drain-lock")
    token = uuid.uuid4().hex
    if not client.set(lock, token, nx=True, ex=DRAIN_LOCK_SECONDS):
        return DrainReport(skipped=True, remaining=int(client.llen(queue)))
    counts = {"stored": 0, "duplicates": 0, "malformed": 0, "wrong_application": 0}
    try:
        while True:
            # LPUSH adds at the head, so the oldest bodies are at the tail.
            batch: list[bytes | str] = client.lrange(queue, -DRAIN_BATCH_SIZE, -1)
            if not batch:
                break
            for raw in reversed(batch):
                counts[_store_one(raw)] += 1
            client.ltrim(queue, 0, -(len(batch) + 1))
            client.expire(lock, DRAIN_LOCK_SECONDS)
    finally:
        client.eval(_RELEASE, 1, lock, token)
    for outcome, amount in counts.items():
        if amount:
            metric_count("ml_webhook_ack_only_drain", {"outcome": outcome}, amount)
    return DrainReport(
        stored=counts["stored"],
        duplicates=counts["duplicates"],
        malformed=counts["malformed"],
        wrong_application=counts["wrong_application"],
        remaining=int(client.llen(queue)),
    )


def _store_one(raw: bytes | str) -> str:
    try:
        notification = notification_parse(body_load(raw))
    except (ValueError, InvalidNotification) as exc:
        logger.warning("ack-only drain: dropped a malformed body (%d bytes): %s", len(raw), exc)
        return "malformed"
    if notification.application_id != str(settings.ML_CLIENT_ID):
        logger.warning("ack-only drain: dropped a notification for another application_id")
        return "wrong_application"
    created = notification_store(notification, source=DRAINED_SOURCE)
    return "stored" if created is not None else "duplicates"
