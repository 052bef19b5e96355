"""Whether a call may leave now: the circuit breaker and the budget, in one Redis round trip.

One Lua script holds both rules, so the hot path of every ML call costs a single EVALSHA:
the breaker (open: refuse; its period over: one caller takes the probe lease), then GCRA over
the application's and the seller's budgets, spent only when every one allows the call.
``Breaker.before_call`` and ``budget_take`` are the same script with only one half in use.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from django.conf import settings
from redis.commands.core import Script

from core.redis import redis_client
from integrations.mercadolivre.clock import Clock
from integrations.mercadolivre.priorities import Priority
from integrations.mercadolivre.ratelimit import app_budget, seller_budget

# How long the one probe call let through a half-open breaker may take before another may go.
PROBE_LEASE_SECONDS = 30

# KEYS: opened_at, failures, probe, app budget[, seller budget]
# ARGV: now_ms, reset_ms, probe_ms, then per budget key: emission_ms, allowance_ms
# Returns {verdict, wait_ms, trouble}: verdict 1 go, 0 wait, -1 open, -2 someone probes; wait_ms
# is the budget's wait, the breaker's time left open, or what is left of the probe's lease.
_PERMIT = """
local now = tonumber(ARGV[1])
local opened = redis.call('GET', KEYS[1])
local trouble = 0
if opened or redis.call('EXISTS', KEYS[2]) == 1 then trouble = 1 end
local probing = false
if opened then
  local remaining = tonumber(opened) * 1000 + tonumber(ARGV[2]) - now
  if remaining > 0 then return {-1, math.ceil(remaining), trouble} end
  if not redis.call('SET', KEYS[3], '1', 'NX', 'PX', ARGV[3]) then
    return {-2, math.max(redis.call('PTTL', KEYS[3]), 0), trouble}
  end
  probing = true
end
local wait = 0
local new_tats = {}
for i = 4, #KEYS do
  local emission = tonumber(ARGV[2 * (i - 3) + 2])
  local allowance = tonumber(ARGV[2 * (i - 3) + 3])
  local tat = tonumber(redis.call('GET', KEYS[i]) or now)
  if tat < now then tat = now end
  local new_tat = tat + emission
  local over = new_tat - now - allowance
  if over > wait then wait = over end
  new_tats[i] = new_tat
end
if wait > 0 then
  if probing then redis.call('DEL', KEYS[3]) end
  return {0, math.ceil(wait), trouble}
end
for i = 4, #KEYS do
  redis.call('SET', KEYS[i], new_tats[i], 'PX', math.ceil(new_tats[i] - now) + 1000)
end
return {1, 0, trouble}
"""


@dataclass(frozen=True)
class Permit:
    verdict: Literal["go", "wait", "open", "probing"]
    wait_seconds: float
    trouble: bool  # the breaker has failures or is open: a success must clear them


def lua_script(source: str) -> Script:
    """``source`` registered with the current Redis client, once per client (EVALSHA after)."""
    client = redis_client()
    scripts: dict[str, Script] | None = getattr(client, "_peepers_scripts", None)
    if scripts is None:
        scripts = client._peepers_scripts = {}  # type: ignore[attr-defined]
    if source not in scripts:
        scripts[source] = client.register_script(source)
    return scripts[source]


# A breaker nobody records failures on: budget_take checks the budget alone.
_NO_BREAKER = "ml:cb:none"


def call_permit(
    *, breaker_prefix: str, seller_id: int | None, priority: Priority | None, clock: Clock
) -> Permit:
    """The breaker's verdict, then (with a ``priority``) the budget's, spending it on "go"."""
    keys = [
        f"{breaker_prefix}:opened_at",
        f"{breaker_prefix}:failures",
        f"{breaker_prefix}:probe",
    ]
    budgets = []
    if priority is not None:
        keys.append(f"ml:rl:app:{settings.ML_CLIENT_ID}")
        budgets.append(app_budget())
        if seller_id is not None:
            keys.append(f"ml:rl:seller:{seller_id}")
            budgets.append(seller_budget())
    args: list[float] = [
        clock.now() * 1000.0,
        settings.ML_BREAKER_RESET_SECONDS * 1000,
        PROBE_LEASE_SECONDS * 1000,  # PX takes an integer
    ]
    for budget in budgets:
        assert priority is not None
        args += [budget.emission_ms, budget.allowance_ms(priority)]
    verdict, wait_ms, trouble = lua_script(_PERMIT)(keys=keys, args=args)
    name = {1: "go", 0: "wait", -1: "open", -2: "probing"}[int(verdict)]
    return Permit(verdict=name, wait_seconds=int(wait_ms) / 1000.0, trouble=bool(trouble))  # type: ignore[arg-type]


def budget_take(*, seller_id: int | None, priority: Priority, clock: Clock) -> float:
    """Spend one call of the budget alone; 0.0 when allowed, else seconds to wait."""
    permit = call_permit(
        breaker_prefix=_NO_BREAKER, seller_id=seller_id, priority=priority, clock=clock
    )
    return permit.wait_seconds if permit.verdict == "wait" else 0.0
