"""Celery tasks of the notification inbox: process one, reconcile, recover missed feeds."""

from __future__ import annotations

from integrations.mercadolivre.inbox import (
    inbox_reconcile,
    missed_feeds_recover,
    notification_process,
)
from integrations.mercadolivre.priorities import Priority
from peepers.tasks import task

__all__ = ["ml_inbox_reconcile", "ml_missed_feeds", "ml_notification_process"]


@task(
    name="integrations.ml_notification_process",
    queue=Priority.MEDIUM.queue,  # sent to its topics' priority's queue (dispatch.topic_priority)
    tenant_scoped=False,  # it finds each store itself, from the notification's user_id
    soft_time_limit=600,
)
def ml_notification_process(notification_ids: list[int]) -> dict[str, int]:
    """Process inbox rows one by one; outcomes counted. Each row is claimed on its own."""
    outcomes: dict[str, int] = {}
    for notification_id in notification_ids:
        outcome = notification_process(notification_id=notification_id)
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    return outcomes


@task(name="integrations.ml_inbox_reconcile", queue="high", tenant_scoped=False, soft_time_limit=50)
def ml_inbox_reconcile() -> dict[str, int]:
    return inbox_reconcile()


@task(
    name="integrations.ml_missed_feeds",
    queue=Priority.LOW.queue,
    tenant_scoped=False,
    soft_time_limit=600,
)
def ml_missed_feeds() -> int:
    return missed_feeds_recover()
