"""Handing stored Stripe events to Celery without making the webhook wait for the broker.

The receiver drops the new row's id here and answers; a background thread of the process
publishes ids in batches (``MESSAGE_SIZE`` to a message). If the broker is down or the process
dies first, the row stays pending and the reconciler (beat, every minute) sends it. Nothing here
blocks or raises into a request.
"""

from __future__ import annotations

import logging
import os
import queue
import threading
import time

logger = logging.getLogger(__name__)

_QUEUE_SIZE = 10_000
_BATCH = 200
MESSAGE_SIZE = 20
_LINGER_SECONDS = 0.05


class _Publisher:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.pending: queue.Queue[int] = queue.Queue(maxsize=_QUEUE_SIZE)
        self.pid = 0

    def submit(self, event_pk: int) -> None:
        with self.lock:
            if self.pid != os.getpid():  # first use in this process, or after a fork
                self.pid = os.getpid()
                self.pending = queue.Queue(maxsize=_QUEUE_SIZE)
                threading.Thread(target=self._run, name="stripe-dispatch", daemon=True).start()
        try:
            self.pending.put_nowait(event_pk)
        except queue.Full:
            logger.warning(
                "dispatch queue full; stripe event %s waits for the reconciler", event_pk
            )

    def _run(self) -> None:
        while True:
            batch = [self.pending.get()]
            # Let a burst gather: one message for many events.
            time.sleep(_LINGER_SECONDS)
            while len(batch) < _BATCH:
                try:
                    batch.append(self.pending.get_nowait())
                except queue.Empty:
                    break
            events_send(batch)


_publisher = _Publisher()


def event_dispatch(event_pk: int) -> None:
    """Publish soon, from a background thread; never blocks and never raises."""
    _publisher.submit(event_pk)


def events_send(event_pks: list[int], *, countdown: float | None = None) -> int:
    """Publish ``event_pks`` to the worker, ``MESSAGE_SIZE`` to a message; how many were sent."""
    from billing.tasks import stripe_event_process

    sent = 0
    for start in range(0, len(event_pks), MESSAGE_SIZE):
        chunk = event_pks[start : start + MESSAGE_SIZE]
        try:
            if countdown is None:
                stripe_event_process.apply_async(args=(chunk,))
            else:
                stripe_event_process.apply_async(args=(chunk,), countdown=countdown)
        except Exception:
            logger.warning(
                "broker unavailable; %d stripe event(s) left to the reconciler",
                len(event_pks) - sent,
                exc_info=True,
            )
            return sent
        sent += len(chunk)
    return sent
