"""Processing the notification inbox: claim a row, route it, fetch, upsert, record the outcome.

A row is claimed with one conditional UPDATE (pending → processing), so a message delivered
twice, or sent again by the reconciler, is processed once. The resource is always fetched
from ML with the store's token (a notification carries no data and may be stale or out of
order); the upserts never let older data overwrite newer. Transient failures go back to
pending with a growing delay; after ``MAX_TRIES`` the row is dead, kept with its error, and
can be replayed.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import DatabaseError, connection
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django_tenants.utils import tenant_context

from billing.entitlements import entitlements_for
from integrations.mercadolivre.client import MLClient
from integrations.mercadolivre.clock import SYSTEM_CLOCK, Clock
from integrations.mercadolivre.dispatch import notifications_enqueue, topic_priority
from integrations.mercadolivre.errors import (
    MLBadRequest,
    MLError,
    MLForbidden,
    MLNotConnected,
    MLNotFound,
    MLReconnectRequired,
)
from integrations.mercadolivre.models import MLItem
from integrations.mercadolivre.upserts import items_upsert, orders_upsert, questions_upsert
from integrations.models import (
    MLConnection,
    MLNotification,
    NotificationStatus,
)
from peepers.metrics import metric_count, metric_observe
from tenants.models import TenantStatus

logger = logging.getLogger(__name__)

MAX_TRIES = 6
RETRY_DELAYS = (10, 30, 60, 300, 900)  # seconds before tries 2..6
IN_TASK_RETRIES = 2  # the client's own quick retries; longer waits go through the inbox
RECONCILE_BATCH_SIZE = 1000
MISSED_FEEDS_PAGE = 50


@dataclass(frozen=True)
class _Route:
    pattern: re.Pattern[str]
    fetch: Callable[[MLClient, str], int]


def _fetch_order(client: MLClient, order_id: str) -> int:
    return orders_upsert([client.get(f"/orders/{order_id}").data])


def _fetch_item(client: MLClient, item_id: str) -> int:
    return items_upsert([client.get(f"/items/{item_id}").data])


def _fetch_question(client: MLClient, question_id: str) -> int:
    return questions_upsert([client.get(f"/questions/{question_id}", {"api_version": 4}).data])


ROUTES = {
    "orders_v2": _Route(re.compile(r"^/orders/(\d{1,20})$"), _fetch_order),
    "items": _Route(re.compile(r"^/items/([A-Z]{3}\d{1,20})$"), _fetch_item),
    "questions": _Route(re.compile(r"^/questions/(\d{1,20})$"), _fetch_question),
}


def _stuck_after() -> timedelta:
    """How long a row may stay "processing" before it counts as abandoned (a worker died)."""
    return timedelta(seconds=settings.ML_INBOX_STUCK_SECONDS)


def _claim(notification_id: int) -> MLNotification | None:
    stuck_before = timezone.now() - _stuck_after()
    table = connection.ops.quote_name(MLNotification._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET status = %s, processing_started_at = now(), "  # noqa: S608
            "tries = tries + 1 WHERE id = %s AND (status = %s "
            "OR (status = %s AND processing_started_at < %s)) RETURNING id",
            [
                NotificationStatus.PROCESSING,
                notification_id,
                NotificationStatus.PENDING,
                NotificationStatus.PROCESSING,
                stuck_before,
            ],
        )
        if cursor.fetchone() is None:
            return None
    return MLNotification.objects.get(pk=notification_id)


def _finish(notification: MLNotification, status: str, error: str = "", **fields: object) -> str:
    values: dict[str, object] = {"status": status, "last_error": error[:2000], **fields}
    if status in (NotificationStatus.PROCESSED, NotificationStatus.IGNORED):
        values["processed_at"] = timezone.now()
    MLNotification.objects.filter(pk=notification.pk).update(**values)
    metric_count("ml_notifications", {"topic": notification.topic, "outcome": status})
    if status == NotificationStatus.PROCESSED:
        elapsed = (timezone.now() - notification.arrived_at).total_seconds() * 1000
        metric_observe("ml_webhook_processed", {"topic": notification.topic}, elapsed)
    return status


def notification_process(*, notification_id: int, clock: Clock = SYSTEM_CLOCK) -> str:
    """Process one inbox row; the outcome (or "skipped" when someone else has it)."""
    notification = _claim(notification_id)
    if notification is None:
        return "skipped"
    route = ROUTES.get(notification.topic)
    match = route.pattern.match(notification.resource) if route else None
    if route is None or match is None:
        return _finish(notification, NotificationStatus.IGNORED, _("topic or resource not synced"))
    link = (
        MLConnection.objects.select_related("tenant")
        .filter(ml_user_id=notification.ml_user_id)
        .first()
    )
    if link is None or link.tenant.status != TenantStatus.ACTIVE:
        return _finish(
            notification, NotificationStatus.ORPHANED, _("no active store for this ML user")
        )
    entitlement = entitlements_for(tenant=link.tenant)
    if not entitlement.may_sync:
        # Kept, not processed: the incremental sync catches up once the store may sync again.
        return _finish(
            notification,
            NotificationStatus.IGNORED,
            _("billing: %(reason)s") % {"reason": entitlement.reason},
            tenant=link.tenant,
        )
    try:
        with tenant_context(link.tenant):
            if notification.topic == "items" and not _item_allowed(
                match.group(1), entitlement.limits.max_items
            ):
                return _finish(
                    notification,
                    NotificationStatus.IGNORED,
                    ngettext(
                        "plan limit: the %(plan)s plan stores up to %(n)s product",
                        "plan limit: the %(plan)s plan stores up to %(n)s products",
                        entitlement.limits.max_items,
                    )
                    % {"plan": entitlement.limits.name, "n": entitlement.limits.max_items},
                    tenant=link.tenant,
                )
            client = MLClient.for_current_store(
                priority=topic_priority(notification.topic),
                clock=clock,
                retries=IN_TASK_RETRIES,
                max_wait=10.0,
            )
            route.fetch(client, match.group(1))
    except MLNotFound:
        # Deleted on ML since: nothing newer to store.
        return _finish(
            notification, NotificationStatus.PROCESSED, "resource gone (404)", tenant=link.tenant
        )
    except (MLReconnectRequired, MLNotConnected, MLForbidden, MLBadRequest) as exc:
        # Retrying cannot help until someone acts (reconnect, permissions): park it.
        return _finish(notification, NotificationStatus.DEAD, _describe(exc), tenant=link.tenant)
    except (MLError, DatabaseError) as exc:
        return _retry_later(notification, _describe(exc), tenant_id=link.tenant.pk)
    return _finish(notification, NotificationStatus.PROCESSED, tenant=link.tenant)


def _item_allowed(item_id: str, limit: int) -> bool:
    """A known item always updates; a new one only while the plan has room."""
    return MLItem.objects.filter(pk=item_id).exists() or MLItem.objects.count() < limit


def _describe(exc: Exception) -> str:
    message = exc.message if isinstance(exc, MLError) else str(exc)
    return f"{type(exc).__name__}: {message}"


def _retry_later(notification: MLNotification, error: str, *, tenant_id: int) -> str:
    if notification.tries >= MAX_TRIES:
        logger.warning(
            "notification %s dead after %d tries: %s", notification.pk, notification.tries, error
        )
        return _finish(notification, NotificationStatus.DEAD, error, tenant_id=tenant_id)
    delay = RETRY_DELAYS[min(notification.tries, len(RETRY_DELAYS)) - 1]
    MLNotification.objects.filter(pk=notification.pk).update(
        status=NotificationStatus.PENDING,
        last_error=error[:2000],
        next_attempt_at=timezone.now() + timedelta(seconds=delay),
        enqueued_at=timezone.now(),
        tenant_id=tenant_id,
    )
    from integrations.mercadolivre.webhook_tasks import ml_notification_process

    try:
        ml_notification_process.apply_async(
            args=([notification.pk],),
            countdown=delay,
            queue=topic_priority(notification.topic).queue,
        )
    except Exception:  # the reconciler sends it once it is due
        logger.warning("could not schedule retry of notification %s", notification.pk)
    metric_count("ml_notifications", {"topic": notification.topic, "outcome": "retry"})
    return "retry"


def inbox_reconcile(*, now: datetime | None = None) -> dict[str, int]:
    """Re-send what the queue lost: stuck rows back to pending, due pending rows enqueued."""
    now = now or timezone.now()
    unstuck = MLNotification.objects.filter(
        status=NotificationStatus.PROCESSING, processing_started_at__lt=now - _stuck_after()
    ).update(status=NotificationStatus.PENDING, enqueued_at=None)
    due = list(
        MLNotification.objects.filter(status=NotificationStatus.PENDING)
        .exclude(next_attempt_at__gt=now)
        .exclude(enqueued_at__gt=now - _stuck_after())
        .order_by("arrived_at")
        .values_list("pk", "topic")[:RECONCILE_BATCH_SIZE]
    )
    sent = notifications_enqueue(due) if due else 0
    if unstuck or sent:
        logger.info("inbox reconcile: %d unstuck, %d re-sent", unstuck, sent)
    return {"unstuck": unstuck, "resent": sent, "due": len(due)}


def notifications_replay(
    *, ids: list[int] | None = None, statuses: tuple[str, ...] = (NotificationStatus.DEAD,)
) -> int:
    """Put dead (or orphaned) rows back to pending with fresh tries, and send them."""
    rows = MLNotification.objects.filter(status__in=statuses)
    if ids is not None:
        rows = rows.filter(pk__in=ids)
    batch = list(rows.values_list("pk", "topic"))
    MLNotification.objects.filter(pk__in=[pk for pk, _ in batch]).update(
        status=NotificationStatus.PENDING,
        tries=0,
        next_attempt_at=None,
        enqueued_at=None,
        processing_started_at=None,
    )
    notifications_enqueue(batch)
    return len(batch)


def missed_feed_body(message: object) -> object:
    """The notification a ``/missed_feeds`` entry stands for: the body ML tried to deliver.

    The entry carries an ``_id`` of its own while the delivered body (``request.data``) of an
    ``orders_v2``/``items``/``questions`` event has none (NOTIF's example); reading the body
    gives the very dedup key a delivery that did arrive was stored under.
    """
    from integrations.mercadolivre.webhook import InvalidNotification, body_load

    if not isinstance(message, dict):
        return message
    request = message.get("request")
    data = request.get("data") if isinstance(request, dict) else None
    if not isinstance(data, str):
        return message
    try:
        delivered = body_load(data)
    except InvalidNotification:
        return message
    return delivered if isinstance(delivered, dict) else message


def missed_feeds_recover() -> int:
    """Read ``/missed_feeds`` (ML keeps two days) for every synced topic into the inbox.

    The dedup key makes this safe to run any time: what already arrived is absorbed.
    """
    from integrations.mercadolivre.priorities import Priority
    from integrations.mercadolivre.webhook import (
        SYNCED_TOPICS,
        InvalidNotification,
        notification_parse,
        notification_store,
    )
    from integrations.models import MLConnectionStatus

    link = (
        MLConnection.objects.select_related("tenant")
        .filter(status=MLConnectionStatus.ACTIVE, tenant__status=TenantStatus.ACTIVE)
        .order_by("pk")
        .first()
    )
    if link is None:
        return 0
    messages: list[object] = []
    # Any of the application's sellers' tokens reads the application's feed.
    with tenant_context(link.tenant):
        client = MLClient.for_current_store(priority=Priority.LOW)
        for topic in sorted(SYNCED_TOPICS):
            offset = 0
            while True:
                page = (
                    client.get(
                        "/missed_feeds",
                        {
                            "app_id": settings.ML_CLIENT_ID,
                            "topic": topic,
                            "offset": offset,
                            "limit": MISSED_FEEDS_PAGE,
                        },
                    ).data.get("messages")
                    or []
                )
                messages += page
                if len(page) < MISSED_FEEDS_PAGE:
                    break
                offset += len(page)
    stored = 0
    for message in messages:
        try:
            notification = notification_parse(missed_feed_body(message))
        except InvalidNotification as exc:
            logger.warning("skipped a malformed missed feed: %s", exc)
            continue
        if notification.application_id == str(settings.ML_CLIENT_ID):
            stored += notification_store(notification, source="missed_feeds") is not None
    metric_count("ml_missed_feeds", {"outcome": "recovered"}, stored)
    return stored
