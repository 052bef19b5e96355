"""Runbook "Rate Limit Exceeded (ML API)": P2, respond 1 h, resolve 4 h.

Diagnose: ML calls by status class per store and endpoint, the 429 share, budget use.
Mitigate: stop the consumers of the ML queues of LOW and MEDIUM priority (``ml-low``,
``ml-default``: syncs, product/shipment notifications, missed feeds) and tighten the limiter
(``ratelimit.limiter_factor_set``, with an expiry); ``--undo`` puts both back. ``default`` and
``low`` keep running: they carry e-mails (the reconnect e-mail), the maintenance watchdog and
jobs, and the data-subject deadline alerts, none of which calls ML.
Validate: the 429 share over the last 15 minutes is under 5 %.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.conf import settings

from core.tasks import ML_QUEUES
from integrations.mercadolivre.clock import SYSTEM_CLOCK
from integrations.mercadolivre.ratelimit import (
    app_budget,
    budget_usage,
    limiter_factor,
    limiter_factor_clear,
    limiter_factor_set,
)
from integrations.models import MLConnection
from operations.runbooks.accounts import account_entry, account_named
from operations.runbooks.holds import hold_state, queues_hold, queues_release
from operations.runbooks.measures import counts_by, metric_window
from operations.runbooks.registry import Options, Outcome, Result
from operations.runbooks.sections import Finding, Section, Verdict, diagnosis

SHARE_LIMIT = 0.05  # validate: 429s under 5 % of calls
VALIDATE_MINUTES = 15
PAUSED_QUEUES = ML_QUEUES
HOLDER = "rate-limit"
TOP_ENDPOINTS = 10


def _calls(minutes: int) -> tuple[dict[tuple[str, ...], float], str]:
    window = metric_window("ml_api_calls", minutes=minutes)
    return counts_by(window, "tenant", "endpoint", "status"), window.source


def _share(calls: dict[str, float]) -> float:
    total = sum(calls.values())
    return calls.get("429", 0.0) / total if total else 0.0


@dataclass(frozen=True)
class _Calls:
    """The window's ML calls by status, store and endpoint, read once for every section."""

    minutes: int
    source: str
    by_status: dict[str, float]
    by_tenant: dict[str, dict[str, float]]
    by_endpoint: dict[str, dict[str, float]]

    @classmethod
    def read(cls, minutes: int) -> _Calls:
        grouped, source = _calls(minutes)
        by_status: dict[str, float] = defaultdict(float)
        by_tenant: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
        by_endpoint: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
        for (tenant, endpoint, status), n in grouped.items():
            by_status[status] += n
            by_tenant[tenant or "?"][status] += n
            by_endpoint[endpoint or "?"][status] += n
        return cls(
            minutes,
            source,
            dict(by_status),
            {t: dict(s) for t, s in by_tenant.items()},
            {e: dict(s) for e, s in by_endpoint.items()},
        )

    @property
    def total(self) -> float:
        return sum(self.by_status.values())


def _call_mix(calls: _Calls) -> Finding:
    data: dict[str, Any] = {
        "by_status": calls.by_status,
        "by_tenant": calls.by_tenant,
        "by_endpoint": calls.by_endpoint,
    }
    if not calls.total:
        return Finding((f"ML API calls, last {calls.minutes} min: no data",), data)
    share = _share(calls.by_status)
    data["share_429"] = share
    lines = [
        f"ML API calls, last {calls.minutes} min: {int(calls.total)} ("
        + ", ".join(f"{s} {int(n)}" for s, n in sorted(calls.by_status.items()))
        + f"), 429 share {share:.1%} [{calls.source}]",
        "Per store:",
    ]
    for tenant, statuses in sorted(calls.by_tenant.items(), key=lambda kv: -sum(kv[1].values())):
        lines.append(
            f"  - {tenant}: {int(sum(statuses.values()))} calls, "
            f"{int(statuses.get('429', 0))} 429 ({_share(statuses):.1%}), "
            f"{int(statuses.get('5xx', 0))} 5xx"
        )
    lines.append(f"Top endpoints (of {len(calls.by_endpoint)}):")
    ranked = sorted(calls.by_endpoint.items(), key=lambda kv: -sum(kv[1].values()))
    for endpoint, statuses in ranked[:TOP_ENDPOINTS]:
        lines.append(
            f"  - {endpoint}: {int(sum(statuses.values()))} calls, "
            f"{int(statuses.get('429', 0))} 429 ({_share(statuses):.1%})"
        )
    over = share >= SHARE_LIMIT
    problem = f"429 share {share:.1%} at or above {SHARE_LIMIT:.0%}"
    return Finding(tuple(lines), data, (problem,) if over else ())


def _budget(calls: _Calls) -> Finding:
    budget = app_budget()
    factor = limiter_factor()
    rate = calls.total / calls.minutes if calls.minutes else 0.0
    app_use = budget_usage(clock=SYSTEM_CLOCK)
    data = {
        "budget": {
            "per_minute": budget.per_minute,
            "factor": factor,
            "calls_per_minute": rate,
            "app_burst_in_use": app_use,
        }
    }
    line = (
        f"Budget: {budget.per_minute:g} calls/min for the application "
        f"({settings.ML_RATE_LIMIT_TARGET:.0%} of ML_RATE_LIMIT_PER_MINUTE="
        f"{settings.ML_RATE_LIMIT_PER_MINUTE}"
        + (f", tightened x{factor:g}" if factor < 1 else "")
        + f"); used {rate:.1f}/min on average, burst allowance {app_use:.0%} in use now"
    )
    return Finding((line,), data)


def _seller_bursts(calls: _Calls) -> Finding:
    """Each account of the stores that called ML: its seller budget's burst allowance in use."""
    accounts = (
        MLConnection.objects.filter(tenant__schema_name__in=list(calls.by_tenant))
        .order_by("tenant__schema_name", "connected_at", "ml_user_id")
        .values_list("tenant__schema_name", "ml_user_id", "nickname")
    )
    seller_use = [
        {
            **account_entry(store=schema, ml_user_id=ml_user_id, nickname=nickname),
            "in_use": budget_usage(seller_id=ml_user_id, clock=SYSTEM_CLOCK),
        }
        for schema, ml_user_id, nickname in accounts
    ]
    busy = [f"  - {account_named(use)}: {use['in_use']:.0%}" for use in seller_use if use["in_use"]]
    lines = ("Seller burst allowance in use now, per account:", *busy) if busy else ()
    return Finding(lines, {"seller_burst_in_use": seller_use})


def _mitigation(calls: _Calls) -> Finding:
    paused = _paused_state()
    if not paused:
        return Finding()
    return Finding((f"Mitigation in force: queues {', '.join(paused['queues'])} paused",))


SECTIONS: tuple[Section[_Calls], ...] = (
    Section("ML API calls by status, store and endpoint", _call_mix),
    Section("Application budget", _budget),
    Section("Seller burst allowance", _seller_bursts),
    Section("Mitigation in force", _mitigation),
)


def _verdict(calls: _Calls) -> Verdict:
    return Verdict(
        ok=f"429 share {_share(calls.by_status):.1%} under {SHARE_LIMIT:.0%}",
        unknown="no ML API calls recorded in the window" if not calls.total else "",
    )


def diagnose(options: Options) -> Result:
    return diagnosis(
        _Calls.read(options.minutes), SECTIONS, data={"minutes": options.minutes}, verdict=_verdict
    )


def _paused_state() -> dict[str, Any] | None:
    return hold_state(HOLDER)


def mitigate(options: Options) -> Result:
    if options.undo:
        return _undo()
    seconds = options.minutes * 60
    limiter_factor_set(factor=options.factor, seconds=seconds)
    lines = [
        f"Limiter tightened: budgets x{options.factor:g} for {options.minutes} min "
        "(it expires by itself; --undo restores it now)."
    ]
    held = queues_hold(holder=HOLDER, queues=PAUSED_QUEUES)
    lines += held.lines
    lines.append(
        "Consumers stay stopped until `manage.py runbook rate-limit-exceeded mitigate --undo` "
        "(a worker restarted meanwhile consumes every queue again)."
    )
    data = {"factor": options.factor, "minutes": options.minutes, "paused": held.workers}
    if not any(held.workers.values()):
        lines.append("Verdict: UNKNOWN: limiter tightened, but no worker confirmed the pause")
        return Result(Outcome.UNKNOWN, tuple(lines), data)
    lines.append("Verdict: OK: LOW and MEDIUM ML work paused, limiter tightened")
    return Result(Outcome.OK, tuple(lines), data)


def _undo() -> Result:
    limiter_factor_clear()
    released = queues_release(holder=HOLDER)
    lines = ["Limiter restored (factor 1).", *released.lines, "Verdict: OK: mitigation undone"]
    return Result(Outcome.OK, tuple(lines), {"resumed": released.workers})


def validate(options: Options) -> Result:
    grouped, source = _calls(VALIDATE_MINUTES)
    by_status: dict[str, float] = defaultdict(float)
    for (_, _, status), n in grouped.items():
        by_status[status] += n
    total = sum(by_status.values())
    data: dict[str, Any] = {"minutes": VALIDATE_MINUTES, "by_status": dict(by_status)}
    if not total:
        lines = (
            f"ML API calls, last {VALIDATE_MINUTES} min: no data",
            "Verdict: UNKNOWN: no calls to judge by",
        )
        return Result(Outcome.UNKNOWN, lines, data)
    share = _share(by_status)
    data["share_429"] = share
    line = f"429 share, last {VALIDATE_MINUTES} min: {share:.1%} of {int(total)} calls [{source}]"
    if share < SHARE_LIMIT:
        return Result(Outcome.OK, (line, f"Verdict: OK: under {SHARE_LIMIT:.0%}"), data)
    return Result(Outcome.FAILED, (line, f"Verdict: FAILED: not under {SHARE_LIMIT:.0%}"), data)
