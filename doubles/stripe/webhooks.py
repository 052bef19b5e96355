"""Webhook delivery as Stripe does it: signed JSON POSTs, retried with growing delays.

A sender thread takes every delivery that is due as one batch and posts them one after another.
``Stripe-Signature: t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<body>">`` is computed per attempt with
the wall clock (the receiver's tolerance check compares it with *its* clock, not the emulator's).
A non-2xx answer or a transport error is retried after 1, 2, 4... seconds times ``retry_scale``,
up to ``max_attempts``. Switches: ``out_of_order`` shuffles each batch (seeded), ``duplicate``
queues every event twice, ``paused`` holds everything until unpaused or flushed.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import random
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

import httpx

from doubles.harness import DeliveryWorker, retry_delay

logger = logging.getLogger(__name__)

DELIVERY_TIMEOUT_SECONDS = 10.0
RECENT_ATTEMPTS_KEPT = 200


def signature_header(payload: str, secret: str, timestamp: int) -> str:
    signed = f"{timestamp}.{payload}".encode()
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


@dataclass(eq=False)  # identity: a duplicated event is two deliveries
class Delivery:
    event_id: str
    event_type: str
    payload: str
    due: float
    attempts: int = 0


@dataclass
class Switches:
    out_of_order: bool = False
    duplicate: bool = False
    paused: bool = False

    def to_json(self) -> dict[str, bool]:
        return {
            "out_of_order": self.out_of_order,
            "duplicate": self.duplicate,
            "paused": self.paused,
        }


class WebhookSender(DeliveryWorker):
    """Queues, signs, sends and retries events for one endpoint; a no-op without a URL."""

    thread_name = "stripe-emulator-webhooks"
    timeout_seconds = DELIVERY_TIMEOUT_SECONDS

    def __init__(
        self,
        *,
        url: str | None,
        secret: str,
        retry_scale: float,
        max_attempts: int,
        seed: int,
        on_delivered: Callable[[str], None],
    ) -> None:
        super().__init__(url=url)
        self._secret = secret
        self._retry_scale = retry_scale
        self._max_attempts = max_attempts
        self._seed = seed
        self._on_delivered = on_delivered
        self._queue: list[Delivery] = []
        self._in_flight = 0
        self._flush_until: float | None = None
        self._rng = random.Random(f"webhooks:{seed}")  # noqa: S311 - replayable shuffles
        self.switches = Switches()
        self.delivered = 0
        self.failed = 0
        self.attempts = 0
        self.recent: deque[dict[str, object]] = deque(maxlen=RECENT_ATTEMPTS_KEPT)

    # -- lifecycle ---------------------------------------------------------------------------

    def reset(self) -> None:
        with self._condition:
            self._queue.clear()
            self._rng = random.Random(f"webhooks:{self._seed}")  # noqa: S311
            self.switches = Switches()
            self.delivered = self.failed = self.attempts = 0
            self.recent.clear()
            self._condition.notify_all()

    # -- queueing ----------------------------------------------------------------------------

    def enqueue(self, *, event_id: str, event_type: str, payload: str) -> None:
        if self.url is None:
            return
        with self._condition:
            copies = 2 if self.switches.duplicate else 1
            for _ in range(copies):
                self._queue.append(Delivery(event_id, event_type, payload, due=time.monotonic()))
            self._condition.notify_all()

    def retarget(self, *, url: str | None, secret: str | None = None) -> None:
        """Send to another endpoint from now on; ``url=None`` drops the queue and stops queueing."""
        with self._condition:
            self.url = url
            if url is None:
                self._queue.clear()
            if secret is not None:
                self._secret = secret
            self._condition.notify_all()
        if url is not None:
            self.start()

    def configure(
        self,
        *,
        out_of_order: bool | None = None,
        duplicate: bool | None = None,
        paused: bool | None = None,
    ) -> Switches:
        with self._condition:
            if out_of_order is not None:
                self.switches.out_of_order = out_of_order
            if duplicate is not None:
                self.switches.duplicate = duplicate
            if paused is not None:
                self.switches.paused = paused
            self._condition.notify_all()
            return Switches(**self.switches.to_json())

    def flush(self, timeout: float = 30.0) -> dict[str, object]:
        """Send everything queued now (held or waiting for a retry) and wait for the answers.

        Deliveries that fail again are rescheduled as usual and are not waited for.
        """
        deadline = time.monotonic() + timeout
        with self._condition:
            moment = time.monotonic()
            for delivery in self._queue:
                delivery.due = min(delivery.due, moment)
            self._flush_until = moment
            self._condition.notify_all()
            while self._in_flight or any(d.due <= moment for d in self._queue):
                remaining = deadline - time.monotonic()
                if remaining <= 0 or self._thread is None:
                    break
                self._condition.wait(remaining)
            self._flush_until = None
            return self._summary_locked()

    def summary(self) -> dict[str, object]:
        with self._condition:
            return self._summary_locked()

    def _summary_locked(self) -> dict[str, object]:
        return {
            "url": self.url,
            "delivered": self.delivered,
            "failed": self.failed,
            "pending": len(self._queue) + self._in_flight,
            "attempts": self.attempts,
            "switches": self.switches.to_json(),
            "recent": list(self.recent)[-20:],
        }

    # -- delivery ----------------------------------------------------------------------------

    def _eligible(self, delivery: Delivery, now: float) -> bool:
        if self._flush_until is not None and delivery.due <= self._flush_until:
            return True
        return not self.switches.paused and delivery.due <= now

    def _next_wait(self, now: float) -> float | None:
        if self.switches.paused and self._flush_until is None:
            return None
        if not self._queue:
            return None
        return max(0.0, min(d.due for d in self._queue) - now)

    def _run(self) -> None:
        while True:
            with self._condition:
                while True:
                    if self._stopping:
                        return
                    now = time.monotonic()
                    batch = [d for d in self._queue if self._eligible(d, now)]
                    if batch:
                        break
                    self._condition.wait(self._next_wait(now))
                self._queue = [d for d in self._queue if d not in batch]
                if self.switches.out_of_order:
                    self._rng.shuffle(batch)
                self._in_flight += len(batch)
            for delivery in batch:
                try:
                    self._attempt(delivery)
                except Exception:  # the sender must not die; the attempt counts as failed
                    logger.exception("webhook delivery of %s failed", delivery.event_id)
                finally:
                    with self._condition:
                        self._in_flight -= 1
                        self._condition.notify_all()

    def _attempt(self, delivery: Delivery) -> None:
        url = self.url
        if url is None:  # retargeted to nowhere while this batch was taken: drop it
            return
        delivery.attempts += 1
        timestamp = int(time.time())
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
            "Stripe-Signature": signature_header(delivery.payload, self._secret, timestamp),
        }
        status: int | None
        try:
            response = self.client.post(url, content=delivery.payload.encode(), headers=headers)
            status = response.status_code
            error = None
        except httpx.HTTPError as exc:
            status, error = None, str(exc)
        succeeded = status is not None and 200 <= status < 300
        with self._condition:
            self.attempts += 1
            self.recent.append(
                {
                    "event": delivery.event_id,
                    "type": delivery.event_type,
                    "attempt": delivery.attempts,
                    "status": status,
                    "error": error,
                }
            )
            if succeeded:
                self.delivered += 1
            elif delivery.attempts >= self._max_attempts:
                self.failed += 1
            else:
                delivery.due = time.monotonic() + retry_delay(delivery.attempts, self._retry_scale)
                self._queue.append(delivery)
        if succeeded:
            self._on_delivered(delivery.event_id)
