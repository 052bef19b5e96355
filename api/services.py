"""What the store API does besides reading: "sync now", within the plan's sync interval.

A request is refused while a sync runs, and within ``sync_interval_minutes`` of the last
successful incremental sync (the scheduled task skips such runs, so queueing one would do
nothing). The window is also claimed in Redis (``SET NX``), so two clicks queue one sync.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone
from django_tenants.utils import tenant_context

from api.errors import SyncNotPossible, SyncRunning, SyncTooSoon
from billing.entitlements import entitlements_for
from integrations.mercadolivre.models import (
    MLAccount,
    MLAccountStatus,
    SyncKind,
    SyncRun,
    SyncStatus,
)
from integrations.mercadolivre.sync_tasks import ml_incremental_sync
from peepers.redis import redis_client, redis_key
from peepers.tasks import enqueue_on_commit
from tenants.models import Tenant

# The scheduled sync allows a minute of slack (integrations.mercadolivre.sync.services).
SCHEDULE_SLACK = timedelta(minutes=1)


@dataclass(frozen=True)
class SyncQueued:
    kind: str
    queued_at: datetime
    next_allowed_at: datetime


def sync_now_key(tenant_id: object) -> str:
    return redis_key("tenant", tenant_id, "api", "sync-now")


def sync_now_request(*, tenant: Tenant, now: datetime | None = None) -> SyncQueued:
    """Queue an incremental sync of ``tenant`` now, or raise why not (``SyncRefused``)."""
    now = now or timezone.now()
    entitlement = entitlements_for(tenant=tenant)
    if not entitlement.may_sync:
        raise SyncNotPossible(entitlement.reason)
    interval = timedelta(minutes=entitlement.limits.sync_interval_minutes)
    with tenant_context(tenant):
        account = MLAccount.objects.exclude(status=MLAccountStatus.DISCONNECTED).first()
        if account is None or not account.is_usable:
            raise SyncNotPossible(
                "Connect the store's Mercado Livre account (Settings) before syncing."
            )
        running = SyncRun.objects.filter(status=SyncStatus.RUNNING).order_by("-started_at").first()
        if running is not None:
            raise SyncRunning(
                f"A {running.kind} sync started at {running.started_at:%Y-%m-%d %H:%M} UTC "
                "is still running."
            )
        last = (
            SyncRun.objects.filter(kind=SyncKind.INCREMENTAL, status=SyncStatus.SUCCEEDED)
            .order_by("-started_at")
            .values_list("started_at", flat=True)
            .first()
        )
        window = interval - SCHEDULE_SLACK
        if last is not None and now - last < window:
            raise _too_soon(entitlement.limits.name, interval, last + window - now)
        claimed = redis_client().set(
            sync_now_key(tenant.pk),
            now.isoformat(),
            nx=True,
            ex=max(1, int(window.total_seconds())),
        )
        if not claimed:
            ttl = redis_client().ttl(sync_now_key(tenant.pk))
            wait = timedelta(seconds=ttl if isinstance(ttl, int) and ttl > 0 else 1)
            raise _too_soon(entitlement.limits.name, interval, wait)
        enqueue_on_commit(ml_incremental_sync, tenant=tenant)
    return SyncQueued(kind=SyncKind.INCREMENTAL, queued_at=now, next_allowed_at=now + window)


def _too_soon(plan: str, interval: timedelta, wait: timedelta) -> SyncTooSoon:
    minutes = int(interval.total_seconds() // 60)
    seconds = max(1, int(wait.total_seconds()))
    return SyncTooSoon(
        f"The {plan} plan syncs at most every {minutes} minutes; try again in "
        f"{seconds} seconds. Upgrade your plan at /billing/ to sync more often.",
        retry_after=seconds,
    )
