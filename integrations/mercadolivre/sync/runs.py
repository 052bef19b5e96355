"""A sync run's ledger: one live process per account and kind, resumable state, counted calls.

``SyncRun`` rows say what a run did and where it stands; this module opens or resumes them,
guards them with a PostgreSQL advisory lock (released by PostgreSQL itself when a process
dies, so a killed run never blocks the next one), and saves a checkpoint after every page.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db import DatabaseError, connection
from django.db.models import Max
from django.utils import timezone

from integrations.mercadolivre.client import MLClient, MLResponse
from integrations.mercadolivre.errors import (
    MLError,
    MLMalformedResponse,
    MLRateLimited,
    MLServerError,
    MLUnavailable,
)
from integrations.mercadolivre.models import MLAccount, MLItem, MLOrder, SyncRun, SyncStatus
from integrations.mercadolivre.priorities import Priority
from tenants.context import current_schema

logger = logging.getLogger(__name__)

# Worth another attempt later from the saved cursor; anything else fails the run.
TRANSIENT_ERRORS: tuple[type[MLError], ...] = (
    MLRateLimited,
    MLUnavailable,
    MLServerError,
    MLMalformedResponse,
)
# ML truncates order date filters to the hour and clocks drift: every "since" overlaps by this.
WATERMARK_OVERLAP = timedelta(hours=1)

ProgressCallback = Callable[[SyncRun], None]


class SyncAlreadyRunning(MLError):
    """Another process is running this account's sync of the same kind right now."""


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


def parse_iso(value: str) -> datetime:
    return datetime.fromisoformat(value)


@contextmanager
def sync_lock(kind: str, account: MLAccount) -> Iterator[bool]:
    """Try to take ``account``'s lock for syncs of ``kind``; yields whether we hold it.

    A session-level advisory lock, not a row lock: it must outlive the per-page transactions,
    and PostgreSQL drops it with the connection of a process that was killed.
    """
    key = f"ml-sync:{current_schema()}:{account.ml_user_id}:{kind}"
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(hashtextextended(%s, 0))", [key])
        row = cursor.fetchone()
    held = bool(row and row[0])
    try:
        yield held
    finally:
        if held:
            try:
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_advisory_unlock(hashtextextended(%s, 0))", [key])
            except DatabaseError:
                # The connection is gone, and the lock went with it.
                logger.warning("could not release the %s sync lock explicitly", kind)


def run_open(*, kind: str, account: MLAccount, fresh: bool) -> tuple[SyncRun, bool]:
    """``account``'s running run of ``kind`` to resume, or a new one; and whether it was resumed.

    Call it holding ``sync_lock(kind, account)``: then a running row belongs to a process that
    died, and the partial unique constraint (one running run per account and kind) cannot be
    raced.
    """
    running = SyncRun.objects.filter(account=account, kind=kind, status=SyncStatus.RUNNING).first()
    if running is not None and not fresh:
        return running, True
    if running is not None:
        running.status = SyncStatus.FAILED
        running.finished_at = timezone.now()
        running.error = (running.error + "\nsuperseded by a sync started from scratch").strip()
        running.save(update_fields=["status", "finished_at", "error", "heartbeat_at"])
    return SyncRun.objects.create(account=account, kind=kind), False


def last_watermark(key: str, account: MLAccount) -> datetime | None:
    """``account``'s newest successful run's watermark for ``key`` ("orders", "items")."""
    run = (
        SyncRun.objects.filter(
            account=account, status=SyncStatus.SUCCEEDED, finished_at__isnull=False
        )
        .order_by("-finished_at")
        .first()
    )
    marks = (run.cursor or {}).get("watermark") if run is not None else None
    if not isinstance(marks, dict) or not isinstance(marks.get(key), str):
        return None
    return parse_iso(marks[key])


def watermarks_for(started_at: datetime, account: MLAccount) -> dict[str, str]:
    """Where the next incremental sync may start, per resource, for a run begun at ``started_at``.

    Anything ML changes after the run began is dated at or after ML's clock at that moment. Our
    clock stands in for ML's; when ML's clock is behind ours (a sandbox replaying a fixed
    calendar) the newest date ML has shown us is the safer bound, so the earlier of the two.
    """
    marks: dict[str, str] = {}
    for key, model in (("orders", MLOrder), ("items", MLItem)):
        rows = model.objects.filter(account=account)
        newest = rows.aggregate(newest=Max("last_updated"))["newest"]
        marks[key] = iso(min(started_at, newest) if newest is not None else started_at)
    return marks


class ActiveRun:
    """A run being worked on: its ML clients, call counting, checkpoints and time budget."""

    def __init__(
        self,
        *,
        run: SyncRun,
        account: MLAccount,
        time_budget: float | None = None,
        on_progress: ProgressCallback | None = None,
        item_limit: int | None = None,
    ) -> None:
        self.run = run
        # The plan's cap on stored items: items already stored keep syncing, new ones wait.
        self.item_limit = item_limit
        self.account = account
        self.seller_id = account.ml_user_id
        self.on_progress = on_progress
        self.deadline = None if time_budget is None else time.monotonic() + time_budget
        self._clients: dict[Priority, MLClient] = {}

    # -- ML ------------------------------------------------------------------------------------

    def get(
        self, path: str, params: Mapping[str, Any], *, priority: Priority = Priority.MEDIUM
    ) -> MLResponse:
        """One ML call, counted on the run (in total and for the current phase)."""
        client = self._clients.get(priority)
        if client is None:
            client = self._clients[priority] = MLClient(account=self.account, priority=priority)
        self.run.ml_calls += 1
        calls = self.run.cursor.setdefault("calls", {})
        calls[self.run.phase] = int(calls.get(self.run.phase, 0)) + 1
        return client.get(path, params)

    # -- state ---------------------------------------------------------------------------------

    def section(self, name: str) -> dict[str, Any]:
        """The part of the cursor that phase ``name`` keeps its position in."""
        value: object = self.run.cursor.get(name)
        if isinstance(value, dict):
            return value
        fresh: dict[str, Any] = {}
        self.run.cursor[name] = fresh
        return fresh

    def add(self, kind: str, rows: int) -> None:
        self.run.counts[kind] = int(self.run.counts.get(kind, 0)) + rows

    def total(self, kind: str, value: int) -> None:
        self.run.totals[kind] = value

    def checkpoint(self) -> None:
        """Save the cursor, counts and heartbeat; call it inside the page's transaction."""
        self.run.save(
            update_fields=["phase", "cursor", "counts", "totals", "ml_calls", "heartbeat_at"]
        )

    def progressed(self) -> None:
        """Tell the caller's progress display; after the page's transaction committed."""
        if self.on_progress is not None:
            self.on_progress(self.run)

    def out_of_time(self) -> bool:
        return self.deadline is not None and time.monotonic() >= self.deadline

    def since(self, key: str) -> datetime:
        """The run's starting point for ``key``, fixed when the run began (see ``open``)."""
        return parse_iso(str(self.section("since")[key]))

    def finish(self, status: str, error: str = "") -> None:
        self.run.status = status
        self.run.finished_at = timezone.now()
        self.run.error = error[:2000]
        if status == SyncStatus.SUCCEEDED:
            self.run.phase = "done"
            self.run.cursor["watermark"] = watermarks_for(self.run.started_at, self.account)
        self.run.save()

    def note_error(self, error: str) -> None:
        """Keep a transient failure on the still-running run, for whoever looks at it."""
        self.run.error = error[:2000]
        try:
            # Not the cursor: in memory it may be ahead of the last committed page.
            self.run.save(update_fields=["error", "heartbeat_at", "ml_calls"])
        except DatabaseError:
            logger.exception("could not record the sync error on run %s", self.run.pk)
