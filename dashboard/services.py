"""What the seller dashboard does besides reading: starting a sync on request ("sync now").

A request is refused, with a message written for the seller, when the plan's sync interval has
not passed since the last successful sync, when a sync is running or already requested, or when
the store cannot sync (subscription, no usable ML account). An accepted request leaves a marker
in Redis (so the page can show "waiting for a worker" and a double click enqueues once) and
sends the incremental sync task after the transaction commits.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django_tenants.utils import tenant_context
from redis.exceptions import RedisError

from billing.entitlements import entitlements_for
from dashboard.errors import SyncRefused
from dashboard.selectors import SELLER_TZ, ml_account_current, sync_run_last_success
from integrations.mercadolivre.models import MLAccountStatus, SyncRun, SyncStatus
from integrations.mercadolivre.sync_tasks import ml_incremental_sync
from peepers.redis import redis_client, redis_key
from peepers.tasks import enqueue_on_commit
from tenants.models import Tenant

logger = logging.getLogger(__name__)

# A requested sync no worker has started within this long is forgotten (the button comes back).
SYNC_REQUEST_TTL = timedelta(minutes=10)


@dataclass(frozen=True)
class SyncRequested:
    requested_at: datetime


def _request_key(tenant: Tenant) -> str:
    return redis_key("tenant", tenant.schema_name, "dashboard", "sync-requested")


def sync_request_pending(*, tenant: Tenant) -> datetime | None:
    """When "sync now" was pressed, if no worker has started that sync yet."""
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


def sync_next_allowed(*, tenant: Tenant) -> datetime | None:
    """The earliest moment the plan allows another sync; None when one may start now."""
    entitlement = entitlements_for(tenant=tenant)
    interval = timedelta(minutes=entitlement.limits.sync_interval_minutes)
    with tenant_context(tenant):
        last = sync_run_last_success()
    if last is None:
        return None
    next_at = last.started_at + interval
    return next_at if next_at > timezone.now() else None


def sync_now_request(*, tenant: Tenant, requested_by: str) -> SyncRequested:
    """Start an incremental sync of ``tenant`` now, within its plan; ``SyncRefused`` if not."""
    entitlement = entitlements_for(tenant=tenant)
    if not entitlement.may_sync:
        raise SyncRefused(entitlement.reason)
    with tenant_context(tenant):
        account = ml_account_current()
        if account is None:
            raise SyncRefused(_("Connect your Mercado Livre account before syncing."))
        if account.status != MLAccountStatus.ACTIVE:
            raise SyncRefused(
                _("Mercado Livre no longer accepts this store's authorization; connect again.")
            )
        if SyncRun.objects.filter(status=SyncStatus.RUNNING).exists():
            raise SyncRefused(_("A sync is running now; its progress is shown below."))
    next_at = sync_next_allowed(tenant=tenant)
    if next_at is not None:
        local = formats.date_format(timezone.localtime(next_at, SELLER_TZ), "SHORT_DATETIME_FORMAT")
        raise SyncRefused(
            _(
                "The %(plan)s plan syncs every %(minutes)d minutes; the next sync can start "
                "at %(when)s. Upgrade your plan on the Billing page to sync more often."
            )
            % {
                "plan": entitlement.limits.name,
                "minutes": entitlement.limits.sync_interval_minutes,
                "when": local,
            }
        )
    now = timezone.now()
    key = _request_key(tenant)
    try:
        fresh = redis_client().set(
            key, now.isoformat(), nx=True, ex=int(SYNC_REQUEST_TTL.total_seconds())
        )
    except RedisError as exc:
        raise SyncRefused(_("The sync could not be queued right now; try again shortly.")) from exc
    if not fresh:
        # The marker outlives a run that already started: only refuse while it is still waiting.
        pending = sync_request_pending(tenant=tenant)
        if pending is not None:
            raise SyncRefused(
                _("A sync was already requested; it starts as soon as a worker is free.")
            )
        redis_client().set(key, now.isoformat(), ex=int(SYNC_REQUEST_TTL.total_seconds()))
    enqueue_on_commit(ml_incremental_sync, tenant=tenant)
    logger.info("sync requested for %s by %s", tenant.schema_name, requested_by)
    return SyncRequested(requested_at=now)
