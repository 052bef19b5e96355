"""Recovering what ML could not deliver: ``/missed_feeds`` read back into the inbox.

ML keeps two days of notifications its callback did not accept; each is stored as if it had
arrived (same parse, same dedup key), so what already arrived is absorbed by the insert.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django_tenants.utils import tenant_context

from core.metrics import metric_count
from integrations.mercadolivre.accounts import account_for
from integrations.mercadolivre.client import MLClient
from integrations.mercadolivre.priorities import Priority
from integrations.mercadolivre.webhook import (
    SYNCED_TOPICS,
    InvalidNotification,
    body_load,
    notification_parse,
    notification_store,
)
from integrations.models import MLConnection, MLConnectionStatus
from tenants.models import TenantStatus

logger = logging.getLogger(__name__)

MISSED_FEEDS_PAGE = 50


def missed_feed_body(message: object) -> object:
    """The notification a ``/missed_feeds`` entry stands for: the body ML tried to deliver.

    The entry carries an ``_id`` of its own while the delivered body (``request.data``) of an
    ``orders_v2``/``items``/``questions`` event has none (NOTIF's example); reading the body
    gives the very dedup key a delivery that did arrive was stored under.
    """
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
        client = MLClient(account=account_for(link.ml_user_id), priority=Priority.LOW)
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
