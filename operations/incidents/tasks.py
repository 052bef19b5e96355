"""Thin tasks: send one notification (retried per channel), and escalate overdue incidents."""

from __future__ import annotations

from django.utils import timezone

from core.tasks import RetryPolicy, task
from operations.incidents.errors import DeliveryFailed
from operations.incidents.models import Notification
from operations.incidents.notify import notification_deliver
from operations.incidents.services import incident_escalate_due

NOTIFY_MAX_RETRIES = 4


@task(
    name="incidents.notification_send",
    queue="critical",
    tenant_scoped=False,
    soft_time_limit=60,
    retry=RetryPolicy(
        on=(DeliveryFailed,),
        max_retries=NOTIFY_MAX_RETRIES,
        backoff_seconds=5,
        backoff_max_seconds=300,
    ),
)
def notification_send(notification_id: int) -> None:
    notification = Notification.objects.filter(pk=notification_id).first()
    if notification is None:
        return
    retries = notification_send.request.retries or 0
    notification_deliver(notification=notification, final=retries >= NOTIFY_MAX_RETRIES)


@task(name="incidents.escalate", queue="critical", tenant_scoped=False, soft_time_limit=50)
def escalate() -> int:
    return len(incident_escalate_due(now=timezone.now()))
