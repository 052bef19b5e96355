"""The sandbox's configuration and live state: data, OAuth, faults, notifier and counters.

Everything changes under one ``threading.RLock`` (``SandboxState.lock``); the notifier's
condition and the fault injector share it. Held token answers wait on their own condition,
never on that lock, so admin calls go on while they wait.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from random import Random

from doubles.mercadolivre.data import (
    EVENT_CLOCK_START,
    DatasetSize,
    dataset_generate,
)
from doubles.mercadolivre.faults import (
    FaultInjector,
    FaultSettings,
    TokenAnswerHold,
    faults_updated,
)
from doubles.mercadolivre.notifier import Notifier
from doubles.mercadolivre.oauth import Application, OAuthStore
from doubles.mercadolivre.records import Dataset, Seller


@dataclass(frozen=True)
class SandboxConfig:
    """One sandbox: its single application, data sizes (per seller), clocks and notifier.

    ``data_end`` (an aware datetime) dates the data on a calendar ending there and the events
    by the wall clock; None keeps the fixed calendar and the sandbox's own clock.
    ``live_seconds`` > 0 has buyers act on their own that often (``live.py``).
    """

    client_id: str = "peepers-sandbox-app"
    client_secret: str = "peepers-sandbox-secret"  # noqa: S105 - a public sandbox credential
    redirect_uris: tuple[str, ...] = ("http://localhost:8000/auth/callback",)
    pkce_required: bool = True
    sellers: int = 3
    items: int = 120
    orders: int = 60
    questions: int = 40
    seed: int = 1
    expires_in: int = 21600
    code_ttl: int = 600
    webhook_url: str | None = None
    notify_retry_scale: float = 1.0
    auto_approve: bool = False
    # Same keys as ``POST /_sandbox/faults``; applied at start and again after every reset.
    faults: Mapping[str, object] = field(default_factory=dict)
    scroll_ttl: float = 300.0
    data_end: datetime | None = None
    live_seconds: float = 0.0

    def __post_init__(self) -> None:
        if self.data_end is not None and self.data_end.utcoffset() is None:
            raise ValueError("data_end must be an aware datetime")
        if self.live_seconds < 0:
            raise ValueError("live_seconds must be 0 (off) or more")

    @property
    def application_id(self) -> int | str:
        """``application_id`` in notifications: ML's is numeric, a sandbox name stays a string."""
        return int(self.client_id) if self.client_id.isdigit() else self.client_id


@dataclass
class Scroll:
    """A ``search_type=scan`` cursor: a snapshot of result ids and how far the client read."""

    id: str
    seller_id: int
    kind: str
    ids: tuple[str | int, ...]
    position: int
    expires_at: float


class SandboxState:
    def __init__(self, config: SandboxConfig) -> None:
        self.config = config
        self.lock = threading.RLock()
        self.token_requests: Counter[str] = Counter()
        self.requests: Counter[str] = Counter()
        self.initial_faults = faults_updated(FaultSettings(), config.faults)
        self.faults = FaultInjector(lock=self.lock, seed=config.seed, settings=self.initial_faults)
        self.token_answers = TokenAnswerHold()
        self.oauth = OAuthStore(
            lock=self.lock,
            applications={
                config.client_id: Application(
                    client_id=config.client_id,
                    client_secret=config.client_secret,
                    redirect_uris=tuple(config.redirect_uris),
                    pkce_required=config.pkce_required,
                )
            },
            expires_in=config.expires_in,
            code_ttl=config.code_ttl,
        )
        self.notifier = Notifier(
            lock=self.lock,
            webhook_url=config.webhook_url,
            application_id=config.application_id,
            retry_scale=config.notify_retry_scale,
            faults=lambda: self.faults.settings,
            draw=self.faults.draw,
        )
        self.scrolls: dict[str, Scroll] = {}
        self.dataset = Dataset()
        self.event_clock = EVENT_CLOCK_START
        self.event_rng = Random(config.seed)  # noqa: S311 - replayable events, not secrets
        self.live_actions = 0
        self._data_load()

    def _data_load(self) -> None:
        size = DatasetSize(
            sellers=self.config.sellers,
            items=self.config.items,
            orders=self.config.orders,
            questions=self.config.questions,
        )
        anchor = self.config.data_end
        self.dataset = dataset_generate(seed=self.config.seed, size=size, anchor=anchor)
        self.event_clock = EVENT_CLOCK_START if anchor is None else self.dataset.calendar.end
        # Events draw from their own stream so that they never disturb the generated data.
        self.event_rng = Random(f"events:{self.config.seed}")  # noqa: S311

    @property
    def sellers(self) -> list[Seller]:
        return self.dataset.sellers

    def seller(self, seller_id: int) -> Seller | None:
        return self.dataset.seller(seller_id)

    def reset(self) -> None:
        """Back to the seed: data regenerated, tokens, scrolls, faults and counters cleared,
        held token answers sent."""
        with self.lock:
            self._data_load()
            self.oauth.clear()
            self.scrolls.clear()
            self.faults.reset(self.initial_faults)
            self.token_answers.release()
            self.notifier.reset()
            self.token_requests.clear()
            self.requests.clear()
            self.live_actions = 0

    def clock_tick(self) -> datetime:
        """The moment of the next change, always later than the previous one.

        On the fixed calendar, the sandbox's own clock one minute on, so a scenario replays
        identically; on a calendar ending at ``data_end``, the wall clock (UTC).
        """
        with self.lock:
            if self.config.data_end is None:
                self.event_clock += timedelta(minutes=1)
            else:
                step = self.event_clock + timedelta(microseconds=1)
                self.event_clock = max(datetime.now(UTC), step)
            return self.event_clock

    def request_count(self, path: str) -> None:
        prefix = "/" + path.strip("/").split("/", 1)[0]
        with self.lock:
            self.requests[prefix] += 1

    def token_request_count(self, grant_type: str) -> None:
        with self.lock:
            self.token_requests[grant_type] += 1

    def token_answer_hold(self) -> None:
        """Hold a refresh's answer while ``hold_token_answers`` is on (the refresh is done)."""
        settings = self.faults.settings
        if settings.hold_token_answers:
            self.token_answers.hold(timeout=settings.hold_token_answers_timeout)

    def summary(self) -> dict[str, object]:
        with self.lock:
            return {
                "token_requests": dict(self.token_requests),
                "requests": dict(self.requests),
                "faults": self.faults.settings.to_json(),
                "held_token_answers": self.token_answers.held,
                "sellers": [{"id": s.id, "nickname": s.nickname} for s in self.sellers],
                "notifications": self.notifier.summary(),
                "event_clock": self.event_clock.isoformat(),
                "calendar": {
                    "start": self.dataset.calendar.start.isoformat(),
                    "end": self.dataset.calendar.end.isoformat(),
                },
                "live": {"seconds": self.config.live_seconds, "actions": self.live_actions},
            }
