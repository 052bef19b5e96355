"""A circuit breaker for the ML API, its state shared through Redis by every process.

Closed: calls pass; consecutive failures (5xx, timeouts, connection errors) are counted and a
success clears them. At ``ML_BREAKER_FAILURES`` (5) it opens: calls fail at once with
``MLCircuitOpen``, whose ``retry_after`` says when the breaker lets a probe through. After
``ML_BREAKER_RESET_SECONDS`` (300) one caller, and only one (an NX lease), may probe; its
success closes the breaker, its failure opens it for another period.
"""

from __future__ import annotations

from django.conf import settings

from core.redis import redis_client
from integrations.mercadolivre.clock import Clock
from integrations.mercadolivre.errors import MLCircuitOpen
from integrations.mercadolivre.gate import call_permit, lua_script

# While another caller's probe is out: a probe is one call, which a healthy ML answers well
# within this, and its answer closes the breaker or opens it with a reopen time to wait for.
# Never longer than what is left of the probe's lease (gate.PROBE_LEASE_SECONDS).
PROBE_RETRY_SECONDS = 5.0

# KEYS: opened_at, failures, probe. ARGV: now (seconds), failures that open the breaker.
# One failure more; 1 when this one opened the breaker (the threshold reached, or a probe
# failed), else 0. Atomic, so of many concurrent failures exactly one opens it.
_FAILURE = """
local probing = redis.call('EXISTS', KEYS[3]) == 1
local failures = redis.call('INCR', KEYS[2])
if probing or failures >= tonumber(ARGV[2]) then
  redis.call('SET', KEYS[1], ARGV[1])
  redis.call('DEL', KEYS[3], KEYS[2])
  return 1
end
return 0
"""


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
        """Act on the gate's verdict for this breaker: raise while it is open.

        ``wait_seconds`` is the gate's: the time left open, or left of someone's probe lease.
        """
        self._saw_trouble = trouble
        if verdict == "open":
            raise MLCircuitOpen(
                f"Mercado Livre calls are paused for {wait_seconds:.0f}s after repeated failures",
                retry_after=wait_seconds,
            )
        if verdict == "probing":
            raise MLCircuitOpen(
                "Mercado Livre is being probed after an outage; try again shortly",
                retry_after=min(wait_seconds, PROBE_RETRY_SECONDS) or PROBE_RETRY_SECONDS,
            )

    def record_success(self) -> None:
        if not self._saw_trouble:
            return
        redis_client().delete(
            f"{self.prefix}:failures", f"{self.prefix}:opened_at", f"{self.prefix}:probe"
        )
        self._saw_trouble = False

    def record_failure(self) -> bool:
        """Count a failure; True when this one opened the breaker (or a failed probe reopened
        it), so its caller knows that waiting and trying again in-process is pointless."""
        opened = lua_script(_FAILURE)(
            keys=[f"{self.prefix}:opened_at", f"{self.prefix}:failures", f"{self.prefix}:probe"],
            args=[self.clock.now(), settings.ML_BREAKER_FAILURES],
        )
        return bool(opened)

    def state(self) -> str:
        client = redis_client()
        opened_at = client.get(f"{self.prefix}:opened_at")
        if opened_at is None:
            return "closed"
        if float(opened_at) + settings.ML_BREAKER_RESET_SECONDS > self.clock.now():
            return "open"
        return "half_open"
