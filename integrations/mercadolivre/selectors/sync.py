"""A store's Mercado Livre connections: the accounts, their sync runs and notifications."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django_tenants.utils import tenant_context

from integrations.mercadolivre.models import MLAccount, MLAccountStatus, SyncRun, SyncStatus
from integrations.models import MLNotification
from tenants.models import Tenant


def ml_account_current() -> MLAccount | None:
    """The store's connected (or needing reconnection) ML account; None if never connected."""
    return (
        MLAccount.objects.exclude(status=MLAccountStatus.DISCONNECTED)
        .only("ml_user_id", "nickname", "status", "connected_at", "needs_reconnection_since")
        .first()
    )


@dataclass(frozen=True)
class AccountSummary:
    """One of the store's connected ML accounts, as its settings page shows it."""

    account: MLAccount
    last_sync: SyncRun | None  # its latest successful sync


def account_summaries() -> list[AccountSummary]:
    """The store's connected accounts (active, paused or needing reconnection), oldest
    connection first, each with its latest successful sync; two queries."""
    last_success = (
        SyncRun.objects.filter(account=OuterRef("pk"), status=SyncStatus.SUCCEEDED)
        .order_by("-started_at")
        .values("pk")[:1]
    )
    accounts = list(
        MLAccount.objects.exclude(status=MLAccountStatus.DISCONNECTED)
        .annotate(last_sync_id=Subquery(last_success))
        .order_by("connected_at", "pk")
    )
    runs = SyncRun.objects.defer("cursor").in_bulk(
        [a.last_sync_id for a in accounts if a.last_sync_id is not None]
    )
    return [AccountSummary(account=a, last_sync=runs.get(a.last_sync_id)) for a in accounts]


def account_label(ml_user_id: int) -> str:
    """How pages name the store's account ``ml_user_id`` (its nickname, else the id)."""
    nickname = (
        MLAccount.objects.filter(ml_user_id=ml_user_id).values_list("nickname", flat=True).first()
    )
    return nickname or str(ml_user_id)


def accounts_disconnected() -> list[MLAccount]:
    """The store's disconnected accounts, whose products, orders and questions it keeps;
    latest disconnection first."""
    return list(
        MLAccount.objects.filter(status=MLAccountStatus.DISCONNECTED)
        .only("ml_user_id", "nickname", "site_id", "status", "disconnected_at")
        .order_by("-disconnected_at", "-pk")
    )


def sync_run_latest() -> SyncRun | None:
    return SyncRun.objects.defer("cursor").order_by("-started_at").first()


def sync_run_last_success(
    *, kind: str | None = None, account: MLAccount | None = None
) -> SyncRun | None:
    """The latest successful run (of ``kind``, of ``account``; any when None)."""
    runs = SyncRun.objects.filter(status=SyncStatus.SUCCEEDED)
    if kind:
        runs = runs.filter(kind=kind)
    if account is not None:
        runs = runs.filter(account=account)
    return runs.defer("cursor").order_by("-started_at").first()


def sync_runs(*, limit: int = 20) -> list[SyncRun]:
    runs = SyncRun.objects.select_related("account").defer("cursor")
    return list(runs.order_by("-started_at")[:limit])


def sync_runs_live() -> QuerySet[SyncRun]:
    """Runs in progress of the store's active accounts. A paused or disconnected account's run
    stays open, to resume when it is active again, but nobody is working on it meanwhile."""
    return SyncRun.objects.filter(status=SyncStatus.RUNNING).filter(
        Q(account__status=MLAccountStatus.ACTIVE) | Q(account__isnull=True)
    )


def sync_run_running() -> SyncRun | None:
    return sync_runs_live().select_related("account").defer("cursor").first()


NOTIFICATION_FIELDS = (
    "topic",
    "resource",
    "status",
    "arrived_at",
    "processed_at",
    "tries",
    "next_attempt_at",
    "last_error",
    "source",
)


def notifications_of_store(*, tenant: Tenant) -> QuerySet[MLNotification]:
    """Every ML notification that is the store's: for the ML user of one of its accounts
    (disconnected ones included), routed to this store or to none yet. A row routed to another
    store (the ML user was connected there before) is not this store's."""
    with tenant_context(tenant):
        ml_user_ids = list(MLAccount.objects.values_list("ml_user_id", flat=True))
    return MLNotification.objects.filter(ml_user_id__in=ml_user_ids).filter(
        Q(tenant_id=tenant.pk) | Q(tenant__isnull=True)
    )


def store_notifications(
    *, tenant: Tenant, status: str = "", limit: int = 50
) -> tuple[list[MLNotification], dict[str, int]]:
    """The store's latest ML notifications (``notifications_of_store``) and how many it has in
    each state."""
    mine = notifications_of_store(tenant=tenant)
    by_status = {
        row["status"]: row["n"] for row in mine.values("status").annotate(n=Count("id")).order_by()
    }
    rows = mine.filter(status=status) if status else mine
    return list(rows.only(*NOTIFICATION_FIELDS).order_by("-arrived_at", "-id")[:limit]), by_status


@dataclass(frozen=True)
class PhaseProgress:
    kind: str
    done: int
    total: int | None

    @property
    def percent(self) -> int | None:
        if not self.total:
            return None
        return min(100, round(100 * self.done / self.total))


SYNC_PHASES = ("questions", "orders", "items")


def run_progress(run: SyncRun) -> list[PhaseProgress]:
    """Rows written against rows ML reported, per kind, for a run's progress bars."""
    counts = run.counts or {}
    totals = run.totals or {}
    return [
        PhaseProgress(
            kind=kind,
            done=int(counts.get(kind) or 0),
            total=int(totals[kind]) if isinstance(totals.get(kind), int) else None,
        )
        for kind in SYNC_PHASES
        if kind in counts or kind in totals
    ]
