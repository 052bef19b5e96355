""" "Sync now": one incremental sync of a store on request, within its plan's sync interval.

The seller dashboard's button and ``POST /api/v1/sync-runs/`` both come here, so a click and an
API call guard each other. A request is refused (``SyncRefused`` and its kinds, each with a
message written for the seller and, where waiting helps, ``retry_after`` seconds) when the
subscription does not allow syncing, there is no usable ML account, a sync is running, one was
already requested and no worker has started it, or the last successful incremental sync is
more recent than the plan's interval (the incremental task would skip the run anyway: same
rule, same minute of slack). An accepted request leaves a marker in Redis (``SET NX``: a double
click enqueues once; the pages show "waiting for a worker") and sends the task after commit.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django_tenants.utils import tenant_context
from redis.exceptions import RedisError

from billing.entitlements import Entitlement, entitlements_for
from core.errors import DomainError
from core.redis import redis_client, redis_key
from core.tasks import enqueue_on_commit
from integrations.mercadolivre.accounts import accounts_connected, accounts_syncing
from integrations.mercadolivre.models import (
    SyncKind,
    SyncRun,
    SyncStatus,
)
from integrations.mercadolivre.sync.services import SCHEDULE_SLACK
from integrations.mercadolivre.tasks import ml_incremental_sync
from tenants.models import Tenant

logger = logging.getLogger(__name__)

# A requested sync that no worker has started within this long is forgotten.
SYNC_REQUEST_TTL = timedelta(minutes=10)


class SyncRefused(DomainError):
    code = "sync_refused"
    retry_after: int | None  # whole seconds: the API's Retry-After header

    def __init__(self, message: str, *, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class SyncNotPossible(SyncRefused):
    """The subscription does not allow syncing, or there is no usable ML account."""

    code = "sync_not_possible"


class SyncRunning(SyncRefused):
    code = "sync_running"


class SyncTooSoon(SyncRefused):
    """Within the plan's interval, or already requested: waiting ``retry_after`` helps."""

    code = "sync_too_soon"


@dataclass(frozen=True)
class SyncQueued:
    kind: str
    queued_at: datetime
    next_allowed_at: datetime


def _request_key(tenant: Tenant) -> str:
    return redis_key("tenant", tenant.schema_name, "ml", "sync-requested")


def sync_request_pending(*, tenant: Tenant) -> datetime | None:
    """When "sync now" was asked for, if no worker has started that sync yet."""
    try:
        raw = redis_client().get(_request_key(tenant))
    except RedisError:
        return None
    if not isinstance(raw, bytes):
        return None
    requested_at = datetime.fromisoformat(raw.decode())
    with tenant_context(tenant):
        started = SyncRun.objects.filter(started_at__gte=requested_at).exists()
    return None if started else requested_at


def sync_next_allowed(
    *, tenant: Tenant, entitlement: Entitlement | None = None, now: datetime | None = None
) -> datetime | None:
    """The earliest moment the plan allows another incremental sync; None if one may start.

    ``entitlement`` is the store's, when the caller has it already (the request's).
    """
    now = now or timezone.now()
    limits = (entitlement or entitlements_for(tenant=tenant)).limits
    interval = timedelta(minutes=limits.sync_interval_minutes)
    with tenant_context(tenant):
        last = (
            SyncRun.objects.filter(kind=SyncKind.INCREMENTAL, status=SyncStatus.SUCCEEDED)
            .order_by("-started_at")
            .values_list("started_at", flat=True)
            .first()
        )
    if last is None:
        return None
    next_at = last + interval - SCHEDULE_SLACK
    return next_at if next_at > now else None


def sync_now_request(
    *, tenant: Tenant, requested_by: str, now: datetime | None = None
) -> SyncQueued:
    """Queue an incremental sync of ``tenant`` now, or raise why not."""
    now = now or timezone.now()
    entitlement = entitlements_for(tenant=tenant)
    if not entitlement.may_sync:
        raise SyncNotPossible(entitlement.reason)
    with tenant_context(tenant):
        if not accounts_connected().exists():
            raise SyncNotPossible(_("Connect your Mercado Livre account before syncing."))
        if not any(account.is_usable for account in accounts_syncing()):
            raise SyncNotPossible(
                _("Mercado Livre no longer accepts this store's authorization; connect again.")
            )
        if SyncRun.objects.filter(status=SyncStatus.RUNNING).exists():
            raise SyncRunning(_("A sync is running now; its progress is shown on the Sync page."))
    next_at = sync_next_allowed(tenant=tenant, entitlement=entitlement, now=now)
    if next_at is not None:
        when = timezone.localtime(next_at, ZoneInfo(settings.PEEPERS_SELLER_TIME_ZONE))
        raise SyncTooSoon(
            _(
                "The %(plan)s plan syncs every %(minutes)d minutes; the next sync can start "
                "at %(when)s. Upgrade your plan on the Billing page to sync more often."
            )
            % {
                "plan": entitlement.limits.name,
                "minutes": entitlement.limits.sync_interval_minutes,
                "when": formats.date_format(when, "SHORT_DATETIME_FORMAT"),
            },
            retry_after=max(1, int((next_at - now).total_seconds())),
        )
    key = _request_key(tenant)
    ttl = int(SYNC_REQUEST_TTL.total_seconds())
    try:
        client = redis_client()
        if not client.set(key, now.isoformat(), nx=True, ex=ttl):
            # The marker outlives a run that already started: refuse only while it waits.
            if sync_request_pending(tenant=tenant) is not None:
                left = client.ttl(key)
                raise SyncTooSoon(
                    _("A sync was already requested; it starts as soon as a worker is free."),
                    retry_after=left if isinstance(left, int) and left > 0 else 1,
                )
            client.set(key, now.isoformat(), ex=ttl)
    except RedisError as exc:
        raise SyncRefused(_("The sync could not be queued right now; try again shortly.")) from exc
    enqueue_on_commit(ml_incremental_sync, tenant=tenant)
    logger.info("sync requested for %s by %s", tenant.schema_name, requested_by)
    interval = timedelta(minutes=entitlement.limits.sync_interval_minutes)
    return SyncQueued(
        kind=SyncKind.INCREMENTAL, queued_at=now, next_allowed_at=now + interval - SCHEDULE_SLACK
    )
