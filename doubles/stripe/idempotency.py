"""Stripe's idempotent requests: the first result of a key is stored and replayed.

Same key and same parameters → the stored status and body, with ``Idempotent-Replayed: true``;
same key with other parameters (or another endpoint) → 400 ``idempotency_error``. As in Stripe,
a result is stored only once the endpoint ran: refused credentials, injected faults and parameter
validation errors (400s) are not stored, so a retry runs again. Keys live 24 h of emulator time.
"""

from __future__ import annotations

from dataclasses import dataclass

from doubles.stripe.clock import DAY
from doubles.stripe.errors import IdempotencyMismatch

KEY_LIFETIME_SECONDS = DAY


@dataclass(frozen=True)
class StoredResult:
    endpoint: str
    params: tuple[tuple[str, str], ...]
    status: int
    body: bytes
    request_id: str
    created: int


class IdempotencyKeys:
    """Callers hold the emulator's lock, so a key is never executed twice at once."""

    def __init__(self) -> None:
        self._results: dict[str, StoredResult] = {}

    def replay(
        self, key: str, *, endpoint: str, params: tuple[tuple[str, str], ...], now: int
    ) -> StoredResult | None:
        self._prune(now)
        stored = self._results.get(key)
        if stored is None:
            return None
        if stored.endpoint != endpoint or stored.params != params:
            raise IdempotencyMismatch(key)
        return stored

    def store(self, key: str, result: StoredResult) -> None:
        self._results[key] = result

    def clear(self) -> None:
        self._results.clear()

    def __len__(self) -> int:
        return len(self._results)

    def _prune(self, now: int) -> None:
        expired = [k for k, r in self._results.items() if now - r.created >= KEY_LIFETIME_SECONDS]
        for key in expired:
            del self._results[key]


def stored_status(status: int) -> bool:
    """Which answers are kept: successes, card declines (402) and conflicts the endpoint found."""
    return status < 400 or status == 402
