"""Notifications: one row per channel per message, each sent by its own task with retries."""

from __future__ import annotations

import logging
from datetime import datetime

import apprise
from django.db.models import F
from django.utils import timezone

from core.tasks import enqueue_on_commit
from operations.incidents.channels import channel_url, channels_for, channels_of_kinds
from operations.incidents.errors import ChannelNotConfigured, DeliveryFailed
from operations.incidents.models import (
    DeliveryStatus,
    EventKind,
    Incident,
    IncidentEvent,
    Notification,
)

logger = logging.getLogger(__name__)


def notifications_queue(
    *, incident: Incident, reason: str, priority: str, now: datetime
) -> list[Notification]:
    """Record one pending notification per channel of ``priority`` and send each after commit."""
    channels = channels_for(priority=priority)
    kinds = incident.details.get("channels") if isinstance(incident.details, dict) else None
    if kinds and reason == EventKind.FIRED:
        # The rule names channel kinds (slack, email, sms...): only those, unless none of them
        # is configured for this priority, in which case every channel of it (never silence).
        # Escalation goes past them to every channel of the louder priority.
        chosen = channels_of_kinds(channels, kinds=[str(k) for k in kinds])
        channels = chosen or channels
    title = f"[{incident.priority}] {incident.title}"
    body = (
        f"{reason}: {incident.title}\nkey {incident.key}, priority {incident.priority}, "
        f"state {incident.state}, triggered {incident.triggered_at:%Y-%m-%d %H:%M} UTC"
        + (f"\nrunbook: {incident.runbook}" if incident.runbook else "")
    )
    rows = Notification.objects.bulk_create(
        Notification(
            incident=incident,
            reason=reason,
            channel=channel.masked,
            channel_hash=channel.hash,
            title=title,
            body=body,
            created_at=now,
        )
        for channel in channels
    )
    IncidentEvent.objects.create(
        incident=incident,
        kind=EventKind.NOTIFIED,
        at=now,
        message=f"{reason}: {len(rows)} channel(s) for {priority}"
        + "".join(f"\n- {row.channel}" for row in rows),
    )
    from operations.incidents.tasks import notification_send  # tasks import this module

    for row in rows:
        enqueue_on_commit(notification_send, args=[row.pk])
    return rows


def notification_deliver(*, notification: Notification, final: bool) -> Notification:
    """One delivery attempt; records it, then raises ``DeliveryFailed`` so the task retries.

    ``final`` says no retry follows: the row is left ``failed`` instead of ``pending``.
    """
    if notification.status == DeliveryStatus.SENT:
        return notification  # a task run twice sends once
    now = timezone.now()
    Notification.objects.filter(pk=notification.pk).update(
        attempts=F("attempts") + 1, last_attempt_at=now
    )
    notification.refresh_from_db()
    url = channel_url(hash=notification.channel_hash)
    if url is None:
        _failed(notification, "channel no longer in NOTIFY_URLS", final=True)
        raise ChannelNotConfigured(notification.channel)
    sender = apprise.Apprise()
    with apprise.LogCapture(level=logging.WARNING) as captured:  # type: ignore[no-untyped-call]
        added = sender.add(url)
        sent = bool(added) and bool(
            sender.notify(
                body=notification.body,
                title=notification.title,
                notify_type=apprise.NotifyType.FAILURE,
            )
        )
    if sent:
        notification.status = DeliveryStatus.SENT
        notification.sent_at = now
        notification.error = ""
        notification.save(update_fields=["status", "sent_at", "error"])
        return notification
    error = captured.getvalue().strip()[-2000:] or "apprise reported a failure"
    _failed(notification, error, final=final)
    raise DeliveryFailed(f"{notification.channel}: {error}")


def _failed(notification: Notification, error: str, *, final: bool) -> None:
    notification.error = error
    notification.status = DeliveryStatus.FAILED if final else DeliveryStatus.PENDING
    notification.save(update_fields=["error", "status"])
    logger.warning("notification %s to %s failed: %s", notification.pk, notification.channel, error)
