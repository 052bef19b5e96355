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

from django.db import close_old_connections, connection
from django.utils import timezone

from integrations.mercadolivre.priorities import Priority
from integrations.models import MLNotification

logger = logging.getLogger(__name__)

_QUEUE_SIZE = 10_000
_BATCH = 200
_IDLE_SECONDS = 5.0

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
    """Publish ``(id, topic)`` pairs to their queues and stamp them enqueued; how many sent."""
    from integrations.mercadolivre.webhook_tasks import ml_notification_process

    sent: list[int] = []
    for notification_id, topic in batch:
        try:
            ml_notification_process.apply_async(
                args=(notification_id,), queue=topic_priority(topic).queue
            )
        except Exception:
            logger.warning(
                "broker unavailable; %d notification(s) left pending", len(batch) - len(sent)
            )
            break
        sent.append(notification_id)
    if sent:
        MLNotification.objects.filter(pk__in=sent).update(enqueued_at=timezone.now())
    return len(sent)
