"""One inbound-webhook ledger: claim a row, hand it to the provider's handler, record the outcome.

A row is claimed with one conditional ``UPDATE … RETURNING`` (waiting → processing, or a row
abandoned in processing by a worker that died), so a message delivered twice, or sent again by
the reconciler, is processed once. What can succeed later goes back to ``pending`` with a
growing delay (``RETRY_DELAYS``), or longer when the error said how long to wait
(``retry_after``); after ``MAX_TRIES`` the row is ``dead``, kept with its error for staff (or
the provider's own recovery) to replay. Every provider follows this one policy; its handler
only says what became of a row (``Outcome``).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Generic, TypeVar

from celery.app.task import Task
from django.conf import settings
from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone

from core.errors import retry_after_of
from core.metrics import metric_count, metric_observe
from core.tasks import QUEUES, task, wait_at_least
from inbox.models import FINISHED, InboxStatus, WebhookInbox
from inbox.publisher import Batch, Publisher

logger = logging.getLogger(__name__)

MAX_TRIES = 6
RETRY_DELAYS = (10, 30, 60, 300, 900)  # seconds before tries 2..6
RECONCILE_BATCH_SIZE = 1000
MESSAGE_SIZE = 20  # row ids to a Celery message
RETRY = "retry"  # an outcome, not a stored status: the row waits as pending for its next try
SKIPPED = "skipped"  # not ours to take now (processed, or another worker has it)

RowT = TypeVar("RowT", bound=WebhookInbox)


@dataclass(frozen=True)
class Outcome:
    """What a handler made of a row: a final status (or ``RETRY``), the error, fields to store,
    and for a retry the seconds the error said to wait (``retry_after``), if it said."""

    status: str
    error: str = ""
    fields: Mapping[str, Any] = field(default_factory=dict)
    retry_after: float | None = None


def finished(status: str, error: str = "", **fields: Any) -> Outcome:
    return Outcome(status, error, fields)


def retry_later(error: str, *, retry_after: float | None = None, **fields: Any) -> Outcome:
    return Outcome(RETRY, error, fields, retry_after)


def retry_delay(tries: int, retry_after: float | None = None) -> int:
    """Seconds before the next try of a row tried ``tries`` times: the next of ``RETRY_DELAYS``,
    or ``retry_after`` and a little spread (``RETRY_AFTER_SPREAD``) when that is longer."""
    delay = RETRY_DELAYS[min(tries, len(RETRY_DELAYS)) - 1]
    return math.ceil(wait_at_least(delay, retry_after))


class Ledger(Generic[RowT]):
    """The inbox of one provider over its row ``model``, with its two Celery tasks.

    ``label`` names the row's field that says what kind of delivery it is (Stripe's ``type``,
    ML's ``topic``): metrics are labelled with it and ``queue_of`` maps it to a Celery queue.
    ``process_task`` and ``reconcile_task`` are the registered task names (beat schedules and
    queued messages use them).
    """

    def __init__(
        self,
        *,
        model: type[RowT],
        name: str,
        label: str,
        metric: str,
        latency_metric: str,
        stuck_setting: str,
        queue_of: Callable[[str], str],
        handle: Callable[[RowT], Outcome],
        process_task: str,
        process_queue: str,
        reconcile_task: str,
    ) -> None:
        self.model = model
        self.name = name
        self.label = label
        self.metric = metric
        self.latency_metric = latency_metric
        self.stuck_setting = stuck_setting
        self.queue_of = queue_of
        self.handle = handle
        self.publisher = Publisher(name=name, send=self.send)

        @task(name=process_task, queue=process_queue, tenant_scoped=False, soft_time_limit=600)
        def process_rows(row_ids: list[int]) -> dict[str, int]:
            """Process rows one by one; outcomes counted. Each row is claimed on its own.

            Not scoped to a tenant: the handler finds each row's store itself.
            """
            outcomes: dict[str, int] = {}
            for row_id in row_ids:
                outcome = self.process(row_id)
                outcomes[outcome] = outcomes.get(outcome, 0) + 1
            return outcomes

        @task(name=reconcile_task, queue="high", tenant_scoped=False, soft_time_limit=50)
        def reconcile_rows() -> dict[str, int]:
            return self.reconcile()

        self.process_task: Task[[list[int]], dict[str, int]] = process_rows
        self.reconcile_task: Task[[], dict[str, int]] = reconcile_rows

    # -- publishing ---------------------------------------------------------------------------
    def dispatch(self, row_id: int, label: str) -> None:
        """Hand a new row to a worker once its transaction commits; never blocks or raises."""
        self.publisher.submit_on_commit(row_id, self.queue_of(label))

    def send(self, batch: Batch) -> int:
        """Publish ``(id, queue)`` pairs now and stamp them enqueued; how many were sent."""
        sent = self._publish(batch)
        if sent:
            self._rows().filter(pk__in=sent).update(enqueued_at=timezone.now())
        return len(sent)

    def _publish(self, batch: Batch, *, countdown: float | None = None) -> list[int]:
        # Ids travel MESSAGE_SIZE to a message: under load, one message per row cost the web
        # process as much as receiving it. The most urgent queue goes first.
        by_queue: dict[str, list[int]] = {}
        for row_id, queue_name in batch:
            by_queue.setdefault(queue_name, []).append(row_id)
        options: dict[str, Any] = {} if countdown is None else {"countdown": countdown}
        sent: list[int] = []
        for queue_name in sorted(by_queue, key=QUEUES.index):
            ids = by_queue[queue_name]
            for start in range(0, len(ids), MESSAGE_SIZE):
                chunk = ids[start : start + MESSAGE_SIZE]
                try:
                    self.process_task.apply_async(args=(chunk,), queue=queue_name, **options)
                except Exception:
                    logger.warning(
                        "broker unavailable; %d %s row(s) left to the reconciler",
                        len(batch) - len(sent),
                        self.name,
                        exc_info=True,
                    )
                    return sent
                sent += chunk
        return sent

    # -- processing ---------------------------------------------------------------------------
    def process(self, row_id: int, handle: Callable[[RowT], Outcome] | None = None) -> str:
        """Process one row with ``handle`` (the ledger's own by default); the outcome, or
        ``SKIPPED`` when it is not ours to take now."""
        row = self.claim(row_id)
        if row is None:
            return SKIPPED
        try:
            outcome = (handle or self.handle)(row)
        except Exception as exc:
            logger.exception("%s row %s failed", self.name, row_id)
            return self.retry_later(
                row, f"{type(exc).__name__}: {exc}", retry_after=retry_after_of(exc)
            )
        if outcome.status == RETRY:
            return self.retry_later(
                row, outcome.error, retry_after=outcome.retry_after, **outcome.fields
            )
        return self.finish(row, outcome.status, outcome.error, **outcome.fields)

    def claim(self, row_id: int) -> RowT | None:
        """The row, now ``processing`` with one more try; None when it is not waiting."""
        table = connection.ops.quote_name(self.model._meta.db_table)
        waiting = self.model.WAITING_STATUSES
        placeholders = ", ".join(["%s"] * len(waiting))
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} SET status = %s, processing_started_at = now(), "  # noqa: S608
                f"tries = tries + 1 WHERE id = %s AND (status IN ({placeholders}) "
                "OR (status = %s AND processing_started_at < %s)) RETURNING id",
                [
                    InboxStatus.PROCESSING,
                    row_id,
                    *waiting,
                    InboxStatus.PROCESSING,
                    timezone.now() - self.stuck_after(),
                ],
            )
            if cursor.fetchone() is None:
                return None
        return self._rows().get(pk=row_id)

    def finish(self, row: RowT, status: str, error: str = "", **fields: Any) -> str:
        """Record a final ``status`` with its error (and ``fields``, e.g. the tenant found)."""
        values: dict[str, Any] = {"status": status, "last_error": error[:2000], **fields}
        if status in FINISHED:
            values["processed_at"] = timezone.now()
            values["next_attempt_at"] = None
        self._rows().filter(pk=row.pk).update(**values)
        kind = str(getattr(row, self.label))
        metric_count(self.metric, {self.label: kind, "outcome": status})
        if status == InboxStatus.PROCESSED:
            elapsed = (timezone.now() - self.arrived_at(row)).total_seconds() * 1000
            metric_observe(self.latency_metric, {self.label: kind}, elapsed)
        return status

    def retry_later(
        self, row: RowT, error: str, *, retry_after: float | None = None, **fields: Any
    ) -> str:
        """Back to ``pending`` for its next try (``retry_delay``: never sooner than
        ``retry_after`` seconds when given); ``dead`` after ``MAX_TRIES``."""
        if row.tries >= MAX_TRIES:
            logger.warning("%s row %s dead after %d tries: %s", self.name, row.pk, row.tries, error)
            return self.finish(row, InboxStatus.DEAD, error, **fields)
        delay = retry_delay(row.tries, retry_after)
        now = timezone.now()
        self._rows().filter(pk=row.pk).update(
            status=InboxStatus.PENDING,
            last_error=error[:2000],
            next_attempt_at=now + timedelta(seconds=delay),
            enqueued_at=now,
            **fields,
        )
        kind = str(getattr(row, self.label))
        # The reconciler sends it once it is due should this message not reach the broker.
        self._publish([(row.pk, self.queue_of(kind))], countdown=delay)
        metric_count(self.metric, {self.label: kind, "outcome": RETRY})
        return RETRY

    # -- what the queue lost, and what staff send again ----------------------------------------
    def reconcile(self, *, now: datetime | None = None) -> dict[str, int]:
        """Re-send what the queue lost: abandoned rows back to pending, due waiting rows sent."""
        now = now or timezone.now()
        stuck_before = now - self.stuck_after()
        unstuck = (
            self._rows()
            .filter(status=InboxStatus.PROCESSING, processing_started_at__lt=stuck_before)
            .update(status=InboxStatus.PENDING, enqueued_at=None)
        )
        due = list(
            self._rows()
            .filter(status__in=self.model.WAITING_STATUSES)
            .exclude(next_attempt_at__gt=now)
            .exclude(enqueued_at__gt=stuck_before)
            .order_by(self.model.ARRIVED_FIELD)
            .values_list("pk", self.label)[:RECONCILE_BATCH_SIZE]
        )
        sent = self.send([(pk, self.queue_of(kind)) for pk, kind in due]) if due else 0
        if unstuck or sent:
            logger.info("%s inbox reconcile: %d unstuck, %d re-sent", self.name, unstuck, sent)
        return {"unstuck": unstuck, "resent": sent, "due": len(due)}

    def replay(
        self, *, ids: Sequence[int] | None = None, statuses: Sequence[str] | None = None
    ) -> int:
        """Put rows back to pending with fresh tries and send them after commit; how many.

        ``ids`` and ``statuses`` narrow the rows (at least one is given); a row being processed
        right now is always left alone.
        """
        if ids is None and statuses is None:
            raise ValueError("replay needs ids, statuses or both")
        rows = self._rows().exclude(status=InboxStatus.PROCESSING)
        if ids is not None:
            rows = rows.filter(pk__in=list(ids))
        if statuses is not None:
            rows = rows.filter(status__in=list(statuses))
        picked = list(rows.values_list("pk", self.label))
        rows.filter(pk__in=[pk for pk, _ in picked]).update(
            status=InboxStatus.PENDING,
            tries=0,
            next_attempt_at=None,
            enqueued_at=None,
            processing_started_at=None,
        )
        batch = [(pk, self.queue_of(kind)) for pk, kind in picked]
        transaction.on_commit(lambda: self.send(batch))
        return len(picked)

    # -- reading --------------------------------------------------------------------------------
    def stuck_after(self) -> timedelta:
        """How long a row may stay ``processing`` before it counts as abandoned (a worker died)."""
        return timedelta(seconds=int(getattr(settings, self.stuck_setting)))

    def arrived_at(self, row: RowT) -> datetime:
        moment: datetime = getattr(row, self.model.ARRIVED_FIELD)
        return moment

    def _rows(self) -> QuerySet[RowT]:
        return self.model._default_manager.all()
