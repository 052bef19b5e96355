"""Notification delivery as ML does it (ml-api.md §2): POST, retry, ``missed_feeds``, deactivation.

A scheduler thread hands due deliveries to a small pool. An answer other than HTTP 200, or one
slower than 500 ms, is a failed attempt; attempts are retried after 1, 2, 4... seconds (times
``retry_scale``) up to 8, then the notification lands in ``missed_feeds`` for two days.
"""

from __future__ import annotations

import heapq
import itertools
import json
import logging
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime

import httpx

from doubles.harness import DeliveryWorker, retry_delay
from doubles.mercadolivre.faults import FaultSettings

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
SLOW_ANSWER_SECONDS = 0.5
DELIVERY_TIMEOUT_SECONDS = 5.0
MISSED_FEEDS_SECONDS = 2 * 86400
# ML's topic examples that misspell "received" include none of ours; the sandbox picks items.
MISSPELLED_RECEIVED_TOPIC = "items"


def ml_now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


@dataclass
class Notification:
    id: str
    resource: str
    user_id: int
    topic: str
    application_id: int | str
    received: str
    # NOTIF's orders_v2, items and questions examples carry no ``_id``; the quirks fault adds
    # the ``id`` other topics' examples show (messages).
    id_key: str | None = None
    received_key: str = "received"
    attempts: int = 0
    sent: str = ""
    first_request: str = ""
    last_response: dict[str, object] = field(default_factory=dict)

    def payload(self) -> dict[str, object]:
        # questions carry user_id as a string in ML's examples (ml-api.md §2.2).
        user_id: int | str = str(self.user_id) if self.topic == "questions" else self.user_id
        body: dict[str, object] = {} if self.id_key is None else {self.id_key: self.id}
        return body | {
            "resource": self.resource,
            "user_id": user_id,
            "topic": self.topic,
            "application_id": self.application_id,
            "attempts": self.attempts,
            "sent": self.sent,
            self.received_key: self.received,
        }


@dataclass
class NotifierCounters:
    delivered: int = 0
    attempts: int = 0
    dropped: int = 0


class Notifier(DeliveryWorker):
    """Queues, sends and retries notifications for one callback URL; keeps missed feeds."""

    thread_name = "ml-sandbox-notifier"
    timeout_seconds = DELIVERY_TIMEOUT_SECONDS

    def __init__(
        self,
        *,
        lock: threading.RLock,
        webhook_url: str | None,
        application_id: int | str,
        retry_scale: float,
        faults: Callable[[], FaultSettings],
        draw: Callable[[], float],
    ) -> None:
        super().__init__(url=webhook_url, lock=lock)
        self._application_id = application_id
        self._retry_scale = retry_scale
        self._faults = faults
        self._draw = draw
        self._due: list[tuple[float, int, Notification]] = []
        self._sequence = itertools.count()
        self._in_flight = 0
        self._missed: list[tuple[float, dict[str, object]]] = []
        self._consecutive_failures: dict[str, int] = {}
        self.deactivated_topics: set[str] = set()
        self.counters = NotifierCounters()
        self._pool: ThreadPoolExecutor | None = None

    # -- lifecycle ---------------------------------------------------------------------------

    def _prepare(self) -> None:
        self._pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="ml-sandbox-notify")

    def _drain(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
        self._pool = None

    def reset(self) -> None:
        with self._condition:
            self._due.clear()
            self._missed.clear()
            self._consecutive_failures.clear()
            self.deactivated_topics.clear()
            self.counters = NotifierCounters()

    def topics_reactivate(self) -> None:
        """Subscribe again to every topic (what a seller does in the DevCenter)."""
        with self._condition:
            self.deactivated_topics.clear()
            self._consecutive_failures.clear()

    # -- queueing ----------------------------------------------------------------------------

    def enqueue(self, *, topic: str, resource: str, user_id: int) -> None:
        """Queue the notification of a change; a no-op without a callback URL."""
        if self.url is None:
            return
        faults = self._faults()
        copies = 2 if faults.duplicate else 1
        with self._condition:
            if topic in self.deactivated_topics:
                self.counters.dropped += copies
                return
            # A duplicate is the same event sent twice: the same body but for "sent".
            event_id, received = str(uuid.uuid4()), ml_now()
            quirky = faults.quirks and self._draw() < faults.quirks_fraction
            for _ in range(copies):
                notification = Notification(
                    id=event_id,
                    resource=resource,
                    user_id=user_id,
                    topic=topic,
                    application_id=self._application_id,
                    received=received,
                )
                if quirky:
                    notification.id_key = "id"
                if faults.quirks and topic == MISSPELLED_RECEIVED_TOPIC:
                    notification.received_key = "recieved"
                heapq.heappush(self._due, (time.monotonic(), next(self._sequence), notification))
            self._condition.notify_all()

    def summary(self) -> dict[str, object]:
        with self._condition:
            return {
                "webhook_url": self.url,
                "delivered": self.counters.delivered,
                "attempts": self.counters.attempts,
                "pending": len(self._due) + self._in_flight,
                "missed": len(self._missed_recent()),
                "dropped": self.counters.dropped,
                "deactivated_topics": sorted(self.deactivated_topics),
            }

    def missed_feeds(self, *, topic: str | None) -> list[dict[str, object]]:
        """Lost notifications of the last two days, oldest first."""
        with self._condition:
            return [entry for entry in self._missed_recent() if topic in (None, entry["topic"])]

    def _missed_recent(self) -> list[dict[str, object]]:
        horizon = time.time() - MISSED_FEEDS_SECONDS
        return [entry for stored_at, entry in self._missed if stored_at >= horizon]

    # -- delivery ----------------------------------------------------------------------------

    def _run(self) -> None:
        while True:
            with self._condition:
                while not self._stopping and (not self._due or self._due[0][0] > time.monotonic()):
                    timeout = self._due[0][0] - time.monotonic() if self._due else None
                    self._condition.wait(timeout)
                if self._stopping:
                    return
                _, _, notification = heapq.heappop(self._due)
                self._in_flight += 1
            assert self._pool is not None
            try:
                self._pool.submit(self._attempt, notification)
            except RuntimeError:  # the pool shut down under us: the server is stopping
                return

    def _attempt(self, notification: Notification) -> None:
        try:
            self._deliver(notification)
        except Exception:  # a sender thread must never die; the attempt counts as failed
            logger.exception("sandbox notification %s failed unexpectedly", notification.id)
        finally:
            with self._condition:
                self._in_flight -= 1

    def _deliver(self, notification: Notification) -> None:
        with self._condition:
            if notification.topic in self.deactivated_topics:
                self.counters.dropped += 1
                return
            notification.attempts += 1
            notification.sent = ml_now()
            self.counters.attempts += 1
        data = json.dumps(notification.payload())
        if not notification.first_request:
            notification.first_request = data
        succeeded = self._post(notification, data)
        with self._condition:
            if succeeded:
                self.counters.delivered += 1
                self._consecutive_failures[notification.topic] = 0
                return
            failures = self._consecutive_failures.get(notification.topic, 0) + 1
            self._consecutive_failures[notification.topic] = failures
            limit = self._faults().deactivate_after_slow
            if limit is not None and failures >= limit:
                self._topic_deactivate(notification.topic)
                self.counters.dropped += 1
            elif notification.attempts >= MAX_ATTEMPTS:
                self._missed.append((time.time(), self._missed_entry(notification, data)))
            else:
                due = time.monotonic() + retry_delay(notification.attempts, self._retry_scale)
                heapq.heappush(self._due, (due, next(self._sequence), notification))
                self._condition.notify_all()

    def _topic_deactivate(self, topic: str) -> None:
        """ML's fallback: the topic goes quiet and what is pending for it is not kept."""
        self.deactivated_topics.add(topic)
        kept = [entry for entry in self._due if entry[2].topic != topic]
        self.counters.dropped += len(self._due) - len(kept)
        heapq.heapify(kept)
        self._due = kept

    def _post(self, notification: Notification, data: str) -> bool:
        assert self.url is not None
        started = time.monotonic()
        try:
            response = self.client.post(
                self.url,
                content=data.encode(),
                headers={"accept": "application/json", "content-type": "application/json"},
            )
        except httpx.HTTPError as exc:
            notification.last_response = {
                "req_time": round((time.monotonic() - started) * 1000),
                "http_code": None,
                "body": str(exc),
                "headers": {},
            }
            return False
        elapsed = time.monotonic() - started
        notification.last_response = {
            "req_time": round(elapsed * 1000),
            "http_code": response.status_code,
            "body": response.text[:1000],
            "headers": dict(response.headers),
        }
        return response.status_code == 200 and elapsed <= SLOW_ANSWER_SECONDS

    def _missed_entry(self, notification: Notification, data: str) -> dict[str, object]:
        return {
            "_id": notification.id,
            "resource": notification.resource,
            "user_id": notification.user_id,
            "topic": notification.topic,
            "application_id": notification.application_id,
            "attempts": notification.attempts,
            "sent": notification.sent,
            "received": notification.received,
            "request": {
                "url": self.url,
                "headers": {
                    "accept": "application/json",
                    "content-type": "application/json",
                    "content-length": len(data.encode()),
                },
                "data": notification.first_request,
            },
            "response": notification.last_response,
        }
