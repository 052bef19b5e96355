"""Handing stored notifications to Celery without making the webhook wait for the broker.

The receiver drops the new row's id here and answers; a background thread of the process
publishes it (to the queue of its topic's priority) and stamps ``enqueued_at`` in one batch.
If the broker is down or the process dies first, the row simply stays pending: the
reconciler (beat, every minute) sends it again. So nothing here may block or raise.
"""

from __future__ import annotations

import logging
import os
import queue
import threading
import time

from django.db import close_old_connections, connection
from django.utils import timezone

from integrations.mercadolivre.priorities import Priority
from integrations.models import MLNotification

logger = logging.getLogger(__name__)

_QUEUE_SIZE = 10_000
_BATCH = 200
MESSAGE_SIZE = 20
_QUEUE_ORDER = [p.queue for p in sorted(Priority)]  # the most urgent are published first
_IDLE_SECONDS = 5.0
_LINGER_SECONDS = 0.05

TOPIC_PRIORITY = {
    "orders_v2": Priority.CRITICAL,
    "payments": Priority.CRITICAL,
    "questions": Priority.HIGH,
    "messages": Priority.HIGH,
    "items": Priority.MEDIUM,
    "shipments": Priority.MEDIUM,
}


def topic_priority(topic: str) -> Priority:
    return TOPIC_PRIORITY.get(topic, Priority.LOW)


class _Publisher:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.pending: queue.Queue[tuple[int, str]] = queue.Queue(maxsize=_QUEUE_SIZE)
        self.pid = 0

    def submit(self, notification_id: int, topic: str) -> None:
        with self.lock:
            if self.pid != os.getpid():  # first use in this process, or after a fork
                self.pid = os.getpid()
                self.pending = queue.Queue(maxsize=_QUEUE_SIZE)
                threading.Thread(target=self._run, name="ml-dispatch", daemon=True).start()
        try:
            self.pending.put_nowait((notification_id, topic))
        except queue.Full:
            logger.warning(
                "dispatch queue full; notification %s waits for the reconciler", notification_id
            )

    def _run(self) -> None:
        while True:
            try:
                batch = [self.pending.get(timeout=_IDLE_SECONDS)]
            except queue.Empty:
                connection.close()  # idle: give the database connection back
                continue
            # Let a burst gather: one message and one UPDATE for many rows.
            time.sleep(_LINGER_SECONDS)
            while len(batch) < _BATCH:
                try:
                    batch.append(self.pending.get_nowait())
                except queue.Empty:
                    break
            try:
                notifications_enqueue(batch)
            except Exception:
                logger.warning("could not publish %d notification(s)", len(batch), exc_info=True)
            finally:
                close_old_connections()  # drops the connection if it broke


_publisher = _Publisher()


def dispatch_notification(notification_id: int, topic: str) -> None:
    """Publish after the insert commits; never blocks and never raises into the request."""
    connection.on_commit(lambda: _publisher.submit(notification_id, topic))


def notifications_enqueue(batch: list[tuple[int, str]]) -> int:
    """Publish ``(id, topic)`` pairs to their queues and stamp them enqueued; how many sent.

    Ids travel ``MESSAGE_SIZE`` to a message: under load, publishing one message per
    notification cost the web process as much as receiving it.
    """
    from integrations.mercadolivre.webhook_tasks import ml_notification_process

    by_queue: dict[str, list[int]] = {}
    for notification_id, topic in batch:
        by_queue.setdefault(topic_priority(topic).queue, []).append(notification_id)
    sent: list[int] = []
    for queue_name in sorted(by_queue, key=_QUEUE_ORDER.index):
        ids = by_queue[queue_name]
        for start in range(0, len(ids), MESSAGE_SIZE):
            chunk = ids[start : start + MESSAGE_SIZE]
            try:
                ml_notification_process.apply_async(args=(chunk,), queue=queue_name)
            except Exception:
                logger.warning(
                    "broker unavailable; %d notification(s) left pending", len(batch) - len(sent)
                )
                return _stamp(sent)
            sent += chunk
    return _stamp(sent)


def _stamp(sent: list[int]) -> int:
    if sent:
        MLNotification.objects.filter(pk__in=sent).update(enqueued_at=timezone.now())
    return len(sent)
