"""The emulator's live state: objects, clock, events, idempotency keys, faults and webhooks.

Every change happens under ``EmulatorState.lock`` (an ``RLock``): API requests, clock advances
and admin actions are serialised, so a scenario is as deterministic as its requests. The
webhook sender has its own lock and posts outside this one, so a receiver may call back.
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from dataclasses import dataclass

from doubles.stripe.clock import EmulatorClock, iso
from doubles.stripe.config import EmulatorConfig
from doubles.stripe.faults import FaultInjector
from doubles.stripe.idempotency import IdempotencyKeys
from doubles.stripe.records import Event, Record
from doubles.stripe.render import Renderer
from doubles.stripe.store import Store
from doubles.stripe.webhooks import WebhookSender

JSON = dict[str, object]


@dataclass
class RequestContext:
    """What events carry in ``request``: the API request that caused them, if any."""

    request_id: str | None = None
    idempotency_key: str | None = None
    api_version: str | None = None


class EmulatorState:
    def __init__(self, config: EmulatorConfig) -> None:
        self.config = config
        self.lock = threading.RLock()
        self.clock = EmulatorClock()
        self.store = Store(config.seed)
        self.base_url = "http://127.0.0.1"
        # API and hosted-page requests by "METHOD /path" (ids included), e.g. "POST /v1/customers".
        self.requests: Counter[str] = Counter()
        self.faults = FaultInjector(config.seed)
        self.idempotency = IdempotencyKeys()
        self.context = RequestContext()
        self.webhooks = WebhookSender(
            url=config.webhook_url,
            secret=config.webhook_secret,
            retry_scale=config.retry_scale,
            max_attempts=config.webhook_max_attempts,
            seed=config.seed,
            on_delivered=self._event_delivered,
        )

    def now(self) -> int:
        """The emulator's clock (unix seconds); moved only by ``POST /_emulator/advance``."""
        return self.clock.now()

    @property
    def renderer(self) -> Renderer:
        return Renderer(self.store, self.base_url)

    def render(self, record: Record) -> JSON:
        return self.renderer.render(record)

    def new_id(self, prefix: str) -> str:
        return self.store.new_id(prefix)

    def next_seq(self) -> int:
        return self.store.next_seq()

    # -- events --------------------------------------------------------------------------

    def emit(self, type_: str, record: Record, previous: JSON | None = None) -> Event:
        """Record an event with a snapshot of ``record`` and queue its webhook."""
        return self.emit_json(type_, self.render(record), previous)

    def emit_json(self, type_: str, snapshot: JSON, previous: JSON | None = None) -> Event:
        with self.lock:
            context = self.context
            event = self.store.events.add(
                Event(
                    id=self.new_id("evt_"),
                    created=self.now(),
                    seq=self.next_seq(),
                    type=type_,
                    data_object=snapshot,
                    previous_attributes=previous,
                    api_version=context.api_version or self.config.api_version,
                    request_id=context.request_id,
                    idempotency_key=context.idempotency_key,
                    pending_webhooks=1 if self.webhooks.url else 0,
                )
            )
            payload = json.dumps(self.render(event), indent=2)
            self.webhooks.enqueue(event_id=event.id, event_type=type_, payload=payload)
            return event

    def emit_changes(self, type_: str, record: Record, before: JSON) -> Event | None:
        """An ``*.updated`` event whose ``previous_attributes`` are the top-level fields that
        changed since ``before`` (a snapshot); nothing when nothing changed."""
        after = self.render(record)
        previous = {k: v for k, v in before.items() if after.get(k) != v}
        if not previous:
            return None
        return self.emit_json(type_, after, previous)

    def _event_delivered(self, event_id: str) -> None:
        with self.lock:
            event = self.store.events.find(event_id)
            if event is not None:
                event.pending_webhooks = 0

    # -- admin ---------------------------------------------------------------------------

    def reset(self) -> None:
        """Everything back to a fresh start: no objects, real-time clock, no faults or keys."""
        with self.lock:
            self.store.reset()
            self.clock.reset()
            self.requests.clear()
            self.faults.reset()
            self.idempotency.clear()
            self.webhooks.reset()

    def request_count(self, method: str, path: str) -> None:
        with self.lock:
            self.requests[f"{method} {path}"] += 1

    def summary(self) -> JSON:
        with self.lock:
            return {
                "clock": {"now": self.now(), "iso": iso(self.now())},
                "requests": dict(self.requests),
                "objects": {name: len(c) for name, c in self.store.collections().items()},
                "idempotency_keys": len(self.idempotency),
                "faults": self.faults.settings.to_json(),
                "webhooks": self.webhooks.summary(),
            }
