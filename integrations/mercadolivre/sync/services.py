"""The two syncs each of a store's accounts runs: the initial one after connecting, and the
periodic catch-up.

Each sync is for one account (``ml_user_id``; None: the store's only connected account).
Both run phase by phase, page by page, saving the ``SyncRun`` cursor as they go; a run that
died is resumed by the next start of the same kind. Each returns a ``SyncOutcome``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django_tenants.utils import tenant_context

from billing.entitlements import entitlements_for
from core.tasks import enqueue_on_commit
from integrations.mercadolivre.accounts import account_for, account_usable
from integrations.mercadolivre.errors import MLError
from integrations.mercadolivre.models import (
    MLAccount,
    MLItem,
    MLOrder,
    MLQuestion,
    SyncKind,
    SyncRun,
    SyncStatus,
)
from integrations.mercadolivre.sync.items import items_changed, items_scan
from integrations.mercadolivre.sync.orders import ORDERS_LOOKBACK, orders_plan, orders_read
from integrations.mercadolivre.sync.questions import questions_unanswered
from integrations.mercadolivre.sync.runs import (
    TRANSIENT_ERRORS,
    WATERMARK_OVERLAP,
    ActiveRun,
    ProgressCallback,
    SyncAlreadyRunning,
    iso,
    last_watermark,
    run_open,
    sync_lock,
)
from tenants.models import Tenant

Step = Callable[[ActiveRun], bool]
# Questions first: they are what a seller acts on soonest after connecting.
INITIAL_STEPS: tuple[tuple[str, Step], ...] = (
    ("questions", questions_unanswered),
    ("orders", orders_read),
    ("items", items_scan),
)
INCREMENTAL_STEPS: tuple[tuple[str, Step], ...] = (
    ("orders", orders_read),
    ("items", items_changed),
    ("questions", questions_unanswered),
)
# Orders ML may date a little ahead of our clock are still inside the incremental window.
CLOCK_SLACK = timedelta(days=1)
# An unfinished initial sync silent for this long has died: the incremental sync restarts it.
INITIAL_STALE = timedelta(minutes=15)
SCHEDULE_SLACK = timedelta(minutes=1)


@dataclass(frozen=True)
class SyncOutcome:
    """What a sync call did. ``status``: succeeded, paused (time budget), skipped, already_done."""

    kind: str
    status: str
    ml_user_id: int | None = None
    run_id: int | None = None
    resumed: bool = False
    reason: str = ""  # in the language active when it ran: pt-BR in a worker
    counts: Mapping[str, int] = field(default_factory=dict)
    totals: Mapping[str, int] = field(default_factory=dict)
    stored: Mapping[str, int] = field(default_factory=dict)
    ml_calls: int = 0
    calls_by_phase: Mapping[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def ml_sync_initial(
    *,
    tenant: Tenant,
    ml_user_id: int | None = None,
    full: bool = False,
    time_budget: float | None = None,
    on_progress: ProgressCallback | None = None,
) -> SyncOutcome:
    """Copy the account's unanswered questions, last 12 months of orders and every item.

    Resumes a run that died; ``full`` abandons it and starts from scratch. An account whose
    initial sync already succeeded is left alone unless ``full``. With ``time_budget``
    (seconds) it stops after the page that exhausts it, returning ``paused``.
    """
    started = time.monotonic()
    entitlement = entitlements_for(tenant=tenant)
    if not entitlement.may_sync:
        return SyncOutcome(kind=SyncKind.INITIAL, status="skipped", reason=entitlement.reason)
    with tenant_context(tenant):
        account = account_usable(ml_user_id)
        with sync_lock(SyncKind.INITIAL, account) as held:
            if not held:
                raise SyncAlreadyRunning(
                    f"an initial sync of {tenant.schema_name} ML user {account.ml_user_id} "
                    "is running"
                )
            runs = SyncRun.objects.filter(account=account, kind=SyncKind.INITIAL)
            running = runs.filter(status=SyncStatus.RUNNING)
            done = runs.filter(status=SyncStatus.SUCCEEDED)
            if not full and not running.exists() and done.exists():
                previous = done.order_by("-finished_at").first()
                return SyncOutcome(
                    kind=SyncKind.INITIAL,
                    status="already_done",
                    ml_user_id=account.ml_user_id,
                    run_id=previous.pk if previous else None,
                    reason=_("the initial sync already succeeded; a full sync starts it again"),
                )
            run, resumed = run_open(kind=SyncKind.INITIAL, account=account, fresh=full)
            if not resumed:
                now = timezone.now()
                run.cursor["orders"] = orders_plan(
                    field="date_created", since=now - ORDERS_LOOKBACK, until=now
                )
                run.save(update_fields=["cursor", "heartbeat_at"])
            active = ActiveRun(
                run=run,
                account=account,
                time_budget=time_budget,
                on_progress=on_progress,
                item_limit=entitlement.limits.max_items,
            )
            return _drive(active, INITIAL_STEPS, resumed=resumed, started=started)


def ml_sync_incremental(
    *,
    tenant: Tenant,
    ml_user_id: int | None = None,
    time_budget: float | None = None,
    on_progress: ProgressCallback | None = None,
    scheduled: bool = False,
) -> SyncOutcome:
    """Catch what notifications missed: the account's orders, items and questions changed since
    its last sync.

    A ``scheduled`` run (beat) is skipped when the plan's sync interval has not passed since
    the account's last successful one. An account that is not usable (lapsed, paused) is
    skipped quietly (its owners are told elsewhere). Until the account's initial sync has
    succeeded there is nothing to catch up on: the initial one is enqueued (it resumes if it
    died) and this run is skipped.
    """
    started = time.monotonic()
    kind = SyncKind.INCREMENTAL
    entitlement = entitlements_for(tenant=tenant)
    if not entitlement.may_sync:
        return SyncOutcome(kind=kind, status="skipped", reason=entitlement.reason)
    interval = timedelta(minutes=entitlement.limits.sync_interval_minutes)
    with tenant_context(tenant):
        account = account_for(ml_user_id)
        if not account.is_usable:
            return SyncOutcome(
                kind=kind,
                status="skipped",
                ml_user_id=account.ml_user_id,
                reason=_("no usable Mercado Livre account"),
            )
        waiting = _initial_pending(tenant, account)
        if waiting:
            return SyncOutcome(
                kind=kind, status="skipped", ml_user_id=account.ml_user_id, reason=waiting
            )
        last = (
            SyncRun.objects.filter(account=account, kind=kind, status=SyncStatus.SUCCEEDED)
            .order_by("-started_at")
            .values_list("started_at", flat=True)
            .first()
        )
        # A minute of slack: beat's offsets and queueing must not skip every other due run.
        if scheduled and last is not None and timezone.now() - last < interval - SCHEDULE_SLACK:
            return SyncOutcome(
                kind=kind,
                status="skipped",
                reason=entitlement.limit_message(
                    ngettext(
                        "The %(plan)s plan syncs every %(n)s minute.",
                        "The %(plan)s plan syncs every %(n)s minutes.",
                        entitlement.limits.sync_interval_minutes,
                    )
                    % {
                        "plan": entitlement.limits.name,
                        "n": entitlement.limits.sync_interval_minutes,
                    }
                ),
            )
        with sync_lock(kind, account) as held:
            if not held:
                return SyncOutcome(
                    kind=kind,
                    status="skipped",
                    ml_user_id=account.ml_user_id,
                    reason=_("a sync is already running"),
                )
            run, resumed = run_open(kind=kind, account=account, fresh=False)
            if not resumed:
                now = timezone.now()
                fallback = now - ORDERS_LOOKBACK
                since = {
                    key: last_watermark(key, account) or fallback for key in ("orders", "items")
                }
                run.cursor["since"] = {key: iso(value) for key, value in since.items()}
                run.cursor["orders"] = orders_plan(
                    field="date_last_updated",
                    since=since["orders"] - WATERMARK_OVERLAP,
                    until=now + CLOCK_SLACK,
                )
                run.save(update_fields=["cursor", "heartbeat_at"])
            active = ActiveRun(
                run=run,
                account=account,
                time_budget=time_budget,
                on_progress=on_progress,
                item_limit=entitlement.limits.max_items,
            )
            return _drive(active, INCREMENTAL_STEPS, resumed=resumed, started=started)


def _initial_pending(tenant: Tenant, account: MLAccount) -> str:
    """Why the account's incremental sync must wait for its initial one ("" when it need not)."""
    with sync_lock(SyncKind.INITIAL, account) as free:
        if not free:
            return _("the initial sync is running")
        runs = SyncRun.objects.filter(account=account, kind=SyncKind.INITIAL)
        unfinished = runs.filter(status=SyncStatus.RUNNING).first()
        if unfinished is None and runs.filter(status=SyncStatus.SUCCEEDED).exists():
            return ""
        if unfinished is not None and unfinished.heartbeat_at > timezone.now() - INITIAL_STALE:
            # Between two slices of a live initial sync: its next slice is already queued.
            return _("the initial sync is between slices")
    # Never ran, died, or failed: the initial sync (re)starts; it resumes a run that died.
    # Imported here because the tasks module imports this one.
    from integrations.mercadolivre.tasks import ml_initial_sync

    enqueue_on_commit(ml_initial_sync, tenant=tenant, kwargs={"ml_user_id": account.ml_user_id})
    return _("the initial sync has not finished; it was enqueued")


def _drive(
    active: ActiveRun,
    steps: tuple[tuple[str, Step], ...],
    *,
    resumed: bool,
    started: float,
) -> SyncOutcome:
    run = active.run
    done: list[str] = run.cursor.setdefault("done", [])
    try:
        for phase, step in steps:
            if phase in done:
                continue
            run.phase = phase
            active.checkpoint()
            if not step(active):
                return _outcome(active, "paused", resumed=resumed, started=started)
            with transaction.atomic():
                done.append(phase)
                active.checkpoint()
    except TRANSIENT_ERRORS as exc:
        # The run stays open: the next start resumes it from the last saved page.
        active.note_error(f"{type(exc).__name__}: {exc}")
        raise
    except MLError as exc:
        active.finish(SyncStatus.FAILED, f"{type(exc).__name__}: {exc}")
        raise
    active.finish(SyncStatus.SUCCEEDED)
    return _outcome(active, SyncStatus.SUCCEEDED, resumed=resumed, started=started)


def _outcome(active: ActiveRun, status: str, *, resumed: bool, started: float) -> SyncOutcome:
    run = active.run
    return SyncOutcome(
        kind=run.kind,
        status=status,
        ml_user_id=active.account.ml_user_id,
        run_id=run.pk,
        resumed=resumed,
        counts=dict(run.counts),
        totals=dict(run.totals),
        stored={
            "items": MLItem.objects.count(),
            "orders": MLOrder.objects.count(),
            "questions": MLQuestion.objects.count(),
        },
        ml_calls=run.ml_calls,
        calls_by_phase=dict(run.cursor.get("calls") or {}),
        seconds=round(time.monotonic() - started, 3),
    )
