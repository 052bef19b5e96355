"""Handing stored rows to Celery without making a webhook wait for the broker.

The receiver drops the new row's id here once its transaction commits, and answers; a
background thread of the process gathers ids into batches and hands each to the ledger's
``send`` (a few Celery messages, most urgent queue first, one UPDATE stamping ``enqueued_at``).
If the broker is down or the process dies first, the row stays pending and the ledger's
reconciler (beat, every minute) sends it. Nothing here blocks or raises into a request.
"""

from __future__ import annotations

import logging
import os
import queue
import threading
import time
from collections.abc import Callable

from django.db import close_old_connections, connection, transaction

logger = logging.getLogger(__name__)

_QUEUE_SIZE = 10_000
_BATCH = 200
_IDLE_SECONDS = 5.0
_LINGER_SECONDS = 0.05

# (row id, Celery queue) pairs: what a ledger publishes.
Batch = list[tuple[int, str]]


class Publisher:
    """A process-wide batching thread for one ledger; ``send`` publishes and stamps a batch."""

    def __init__(self, *, name: str, send: Callable[[Batch], int]) -> None:
        self.name = name
        self.send = send
        self.lock = threading.Lock()
        self.pending: queue.Queue[tuple[int, str]] = queue.Queue(maxsize=_QUEUE_SIZE)
        self.pid = 0

    def submit_on_commit(self, row_id: int, queue_name: str) -> None:
        """Publish once the current transaction commits (at once outside one); never raises."""
        transaction.on_commit(lambda: self.submit(row_id, queue_name))

    def submit(self, row_id: int, queue_name: str) -> None:
        with self.lock:
            if self.pid != os.getpid():  # first use in this process, or after a fork
                self.pid = os.getpid()
                self.pending = queue.Queue(maxsize=_QUEUE_SIZE)
                threading.Thread(
                    target=self._run, name=f"{self.name}-dispatch", daemon=True
                ).start()
        try:
            self.pending.put_nowait((row_id, queue_name))
        except queue.Full:
            logger.warning(
                "%s dispatch queue full; row %s waits for the reconciler", self.name, row_id
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
                self.send(batch)
            except Exception:
                logger.warning(
                    "could not publish %d %s row(s)", len(batch), self.name, exc_info=True
                )
            finally:
                close_old_connections()  # drops the connection if it broke
