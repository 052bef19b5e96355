"""Runbook "Mercado Livre API Down" (alert ``ml_api_down``: ML answering 5xx to over half our
calls for 5 minutes): P0, respond 15 min, resolve 1 h.

Diagnose: ML's reachability and latency from here (timed requests to ``ML_API_BASE``), the
circuit breaker's state, and the error mix of our ML calls by status and endpoint.
Mitigate: hold the syncs (the ML queues of MEDIUM and LOW priority, ``holds.py``) and rely on
the webhook inbox: notifications keep being stored without calling ML and are processed once the
hold is undone; ``--undo`` resumes.
Validate: ML answers our probes, the breaker is closed, and under 5 % of the last 15 minutes'
calls were 5xx.
"""

from __future__ import annotations

import statistics
import time
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import httpx
from django.conf import settings
from django.db import DatabaseError

from core.redis import redis_client
from core.tasks import ML_QUEUES
from integrations.mercadolivre.breaker import Breaker
from integrations.mercadolivre.clock import SYSTEM_CLOCK
from integrations.models import MLNotification, NotificationStatus
from operations.runbooks.holds import hold_state, queues_hold, queues_release
from operations.runbooks.measures import Latency, counts_by, latency, metric_window
from operations.runbooks.registry import Options, Outcome, Result
from operations.runbooks.sections import Finding, Section, Verdict, diagnosis

HOLDER = "ml-api-down"
PROBE_PATH = "/sites/MLB"  # public, no token: answers whenever the API is up
PROBE_TRIES = 3
PROBE_TIMEOUT_SECONDS = 5.0
DOWN_SHARE = 0.5  # the alert's "5xx responses > 50%"
VALIDATE_SHARE = 0.05
VALIDATE_MINUTES = 15
MIN_CALLS = 10  # the alert's min_samples: fewer calls do not judge the error mix
TOP_ENDPOINTS = 10


@dataclass(frozen=True)
class Probe:
    url: str
    statuses: tuple[int, ...]  # HTTP status of each answered try
    errors: tuple[str, ...]  # transport error of each unanswered try
    median_ms: float | None

    @property
    def reachable(self) -> bool:
        """ML answered at least one try without a server error."""
        return any(status < 500 for status in self.statuses)

    def line(self) -> str:
        tries = len(self.statuses) + len(self.errors)
        answered = ", ".join(str(s) for s in self.statuses) or "none"
        timing = f", median {self.median_ms:.0f} ms" if self.median_ms is not None else ""
        errors = f"; errors: {'; '.join(sorted(set(self.errors)))}" if self.errors else ""
        return f"Probe GET {self.url}: {tries} tries, answered {answered}{timing}{errors}"


def ml_probe() -> Probe:
    """Time ``PROBE_TRIES`` requests to ML's public ``/sites/MLB`` from this machine."""
    url = settings.ML_API_BASE.rstrip("/") + PROBE_PATH
    statuses, errors, timings = [], [], []
    with httpx.Client(timeout=PROBE_TIMEOUT_SECONDS) as client:
        for _ in range(PROBE_TRIES):
            started = time.perf_counter()
            try:
                response = client.get(url)
            except httpx.HTTPError as exc:
                errors.append(f"{type(exc).__name__}: {exc}"[:200])
                continue
            timings.append((time.perf_counter() - started) * 1000)
            statuses.append(response.status_code)
    median = statistics.median(timings) if timings else None
    return Probe(url, tuple(statuses), tuple(errors), median)


def breaker_states() -> dict[str, dict[str, Any]]:
    """Every ML circuit breaker with state in Redis (the client's one, ``api``, covers every
    endpoint), with its state and consecutive failures."""
    names = {"api"}
    for key in redis_client().scan_iter("ml:cb:*"):
        name = key.decode().removeprefix("ml:cb:").rsplit(":", 1)[0]
        if name != "none":
            names.add(name)
    states = {}
    for name in sorted(names):
        breaker = Breaker(name, clock=SYSTEM_CLOCK)
        failures = redis_client().get(f"{breaker.prefix}:failures")
        states[name] = {"state": breaker.state(), "failures": int(failures or 0)}
    return states


def _error_mix(minutes: int) -> tuple[dict[str, float], dict[str, dict[str, float]], str]:
    window = metric_window("ml_api_calls", minutes=minutes)
    by_status: dict[str, float] = defaultdict(float)
    by_endpoint: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for (endpoint, status), n in counts_by(window, "endpoint", "status").items():
        by_status[status] += n
        by_endpoint[endpoint or "?"][status] += n
    return dict(by_status), {e: dict(s) for e, s in by_endpoint.items()}, window.source


def _share_5xx(calls: dict[str, float]) -> float:
    total = sum(calls.values())
    return calls.get("5xx", 0.0) / total if total else 0.0


def _inbox_pending() -> int | None:
    try:
        return MLNotification.objects.filter(status=NotificationStatus.PENDING).count()
    except DatabaseError:
        return None


@dataclass(frozen=True)
class _Reading:
    """ML probed from here, its breakers, and our calls' error mix, measured once up front."""

    minutes: int
    probe: Probe
    breakers: dict[str, dict[str, Any]]
    by_status: dict[str, float]
    by_endpoint: dict[str, dict[str, float]]
    source: str

    @classmethod
    def take(cls, minutes: int) -> _Reading:
        probe = ml_probe()
        breakers = breaker_states()
        by_status, by_endpoint, source = _error_mix(minutes)
        return cls(minutes, probe, breakers, by_status, by_endpoint, source)

    @property
    def total(self) -> float:
        return sum(self.by_status.values())


def _probe(reading: _Reading) -> Finding:
    probe = reading.probe
    data = {
        "probe": {
            "url": probe.url,
            "statuses": list(probe.statuses),
            "errors": list(probe.errors),
            "median_ms": probe.median_ms,
            "reachable": probe.reachable,
        }
    }
    down = () if probe.reachable else ("ML did not answer our probe without a server error",)
    return Finding((probe.line(),), data, down)


def _breakers(reading: _Reading) -> Finding:
    states = reading.breakers.items()
    return Finding(
        tuple(
            f"Breaker {name}: {state['state']}, {state['failures']} consecutive failures"
            for name, state in states
        ),
        {"breakers": reading.breakers},
        tuple(
            f"breaker {name} {state['state']}"
            for name, state in states
            if state["state"] != "closed"
        ),
    )


def _error_share(reading: _Reading) -> Finding:
    minutes, total = reading.minutes, reading.total
    data = {"by_status": reading.by_status, "by_endpoint": reading.by_endpoint}
    if not total:
        return Finding((f"ML API calls, last {minutes} min: no data",), data)
    share = _share_5xx(reading.by_status)
    lines = [
        f"ML API calls, last {minutes} min: {int(total)} ("
        + ", ".join(f"{s} {int(n)}" for s, n in sorted(reading.by_status.items()))
        + f"), 5xx share {share:.1%} [{reading.source}]",
        f"Top endpoints (of {len(reading.by_endpoint)}):",
    ]
    ranked = sorted(reading.by_endpoint.items(), key=lambda kv: -sum(kv[1].values()))
    for endpoint, statuses in ranked[:TOP_ENDPOINTS]:
        lines.append(
            f"  - {endpoint}: {int(sum(statuses.values()))} calls, "
            f"{int(statuses.get('5xx', 0))} 5xx ({_share_5xx(statuses):.1%}), "
            f"{int(statuses.get('429', 0))} 429"
        )
    down = total >= MIN_CALLS and share > DOWN_SHARE
    problem = f"5xx share {share:.1%} over {DOWN_SHARE:.0%}"
    return Finding(tuple(lines), data, (problem,) if down else ())


def _latency(reading: _Reading) -> Finding:
    observed = latency(metric_window("ml_api_latency", minutes=reading.minutes))
    data = {"latency": {"count": observed.count, "p95_ms": observed.p95_ms}}
    if not observed.count:
        return Finding((), data)
    line = (
        f"Our calls' latency, last {reading.minutes} min: {observed.count} calls, p95 "
        f"{Latency.bound(observed.p95_ms)}, slowest {Latency.bound(observed.p100_ms)}"
    )
    return Finding((line,), data)


def _inbox(reading: _Reading) -> Finding:
    pending = _inbox_pending()
    line = "Webhook inbox: " + (
        "unreadable" if pending is None else f"{pending} pending notifications"
    )
    return Finding((line,), {"inbox_pending": pending})


def _hold(reading: _Reading) -> Finding:
    if not hold_state(HOLDER):
        return Finding()
    return Finding((f"Mitigation in force: queues {', '.join(ML_QUEUES)} held",))


SECTIONS: tuple[Section[_Reading], ...] = (
    Section("ML reachability from here", _probe),
    Section("Circuit breakers", _breakers),
    Section("Our ML calls' error mix", _error_share),
    Section("Our ML calls' latency", _latency),
    Section("Webhook inbox", _inbox),
    Section("Hold in force", _hold),
)


def _verdict(reading: _Reading) -> Verdict:
    total = reading.total
    return Verdict(
        ok=f"ML reachable, breakers closed, 5xx share {_share_5xx(reading.by_status):.1%}",
        unknown=(
            f"ML answers our probe, but {int(total)} calls in the window "
            f"(fewer than {MIN_CALLS}) say nothing about the error mix"
            if total < MIN_CALLS
            else ""
        ),
    )


def diagnose(options: Options) -> Result:
    return diagnosis(
        _Reading.take(options.minutes),
        SECTIONS,
        data={"minutes": options.minutes},
        verdict=_verdict,
    )


def mitigate(options: Options) -> Result:
    if options.undo:
        released = queues_release(holder=HOLDER)
        lines = [
            *released.lines,
            "Pending notifications in the inbox are dispatched again by the inbox reconciler.",
            "Verdict: OK: syncs resumed",
        ]
        return Result(Outcome.OK, tuple(lines), {"resumed": released.workers})
    held = queues_hold(holder=HOLDER, queues=ML_QUEUES)
    pending = _inbox_pending()
    lines = [
        *held.lines,
        "Webhooks are still acknowledged and stored in the inbox without calling ML "
        f"({'?' if pending is None else pending} pending now); they are processed after "
        "`manage.py runbook ml-api-down mitigate --undo`.",
        "Orders, payments and questions (critical and high priority) are not held: their calls "
        "stop at the open breaker and are retried from the inbox.",
    ]
    data = {"paused": held.workers, "inbox_pending": pending}
    if not any(held.workers.values()):
        lines.append("Verdict: UNKNOWN: no worker confirmed the hold")
        return Result(Outcome.UNKNOWN, tuple(lines), data)
    lines.append(f"Verdict: OK: syncs held ({', '.join(ML_QUEUES)})")
    return Result(Outcome.OK, tuple(lines), data)


def validate(options: Options) -> Result:
    probe = ml_probe()
    breakers = breaker_states()
    by_status, _, source = _error_mix(VALIDATE_MINUTES)
    total = sum(by_status.values())
    share = _share_5xx(by_status)
    lines = [probe.line()]
    lines += [f"Breaker {name}: {state['state']}" for name, state in breakers.items()]
    lines.append(
        f"5xx share, last {VALIDATE_MINUTES} min: {share:.1%} of {int(total)} calls [{source}]"
    )
    data = {"reachable": probe.reachable, "breakers": breakers, "by_status": by_status}
    opened = [name for name, state in breakers.items() if state["state"] != "closed"]
    if not probe.reachable or opened or (total >= MIN_CALLS and share >= VALIDATE_SHARE):
        lines.append("Verdict: FAILED: ML is not answering normally yet")
        return Result(Outcome.FAILED, tuple(lines), data)
    if total < MIN_CALLS:
        lines.append(
            f"Verdict: UNKNOWN: ML answers our probe, but {int(total)} calls in "
            f"{VALIDATE_MINUTES} min are too few to judge (undo the hold, then validate again)"
        )
        return Result(Outcome.UNKNOWN, tuple(lines), data)
    lines.append(f"Verdict: OK: ML answering, under {VALIDATE_SHARE:.0%} 5xx")
    return Result(Outcome.OK, tuple(lines), data)
