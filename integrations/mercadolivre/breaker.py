"""A circuit breaker for the ML API, its state shared through Redis by every process.

Closed: calls pass; consecutive failures (5xx, timeouts, connection errors) are counted and a
success clears them. At ``ML_BREAKER_FAILURES`` (5) it opens: calls fail at once with
``MLCircuitOpen``. After ``ML_BREAKER_RESET_SECONDS`` (300) one caller, and only one (an NX
lease), may probe; its success closes the breaker, its failure opens it for another period.
"""

from __future__ import annotations

from django.conf import settings

from core.redis import redis_client
from integrations.mercadolivre.clock import Clock
from integrations.mercadolivre.errors import MLCircuitOpen
from integrations.mercadolivre.gate import call_permit


class Breaker:
    def __init__(self, name: str, *, clock: Clock) -> None:
        self.prefix = f"ml:cb:{name}"
        self.clock = clock
        # Whether the last check saw failures or an open breaker: only then does a success
        # need to write (the common, healthy path costs one read per call).
        self._saw_trouble = True

    def before_call(self) -> None:
        """Raise ``MLCircuitOpen`` unless a call may go out now (see ``gate``)."""

        permit = call_permit(
            breaker_prefix=self.prefix, seller_id=None, priority=None, clock=self.clock
        )
        self.check(permit.verdict, permit.wait_seconds, permit.trouble)

    def check(self, verdict: str, wait_seconds: float, trouble: bool) -> None:
        """Act on the gate's verdict for this breaker: raise while it is open."""
        self._saw_trouble = trouble
        if verdict == "open":
            raise MLCircuitOpen(
                f"Mercado Livre calls are paused for {wait_seconds:.0f}s after repeated failures"
            )
        if verdict == "probing":
            raise MLCircuitOpen("Mercado Livre is being probed after an outage; try again shortly")

    def record_success(self) -> None:
        if not self._saw_trouble:
            return
        redis_client().delete(
            f"{self.prefix}:failures", f"{self.prefix}:opened_at", f"{self.prefix}:probe"
        )
        self._saw_trouble = False

    def record_failure(self) -> None:
        client = redis_client()
        probing = client.exists(f"{self.prefix}:probe")
        failures = int(client.incr(f"{self.prefix}:failures"))
        if probing or failures >= settings.ML_BREAKER_FAILURES:
            pipe = client.pipeline()
            pipe.set(f"{self.prefix}:opened_at", self.clock.now())
            pipe.delete(f"{self.prefix}:probe", f"{self.prefix}:failures")
            pipe.execute()

    def state(self) -> str:
        client = redis_client()
        opened_at = client.get(f"{self.prefix}:opened_at")
        if opened_at is None:
            return "closed"
        if float(opened_at) + settings.ML_BREAKER_RESET_SECONDS > self.clock.now():
            return "open"
        return "half_open"
