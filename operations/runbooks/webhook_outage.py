"""Runbook "Webhook Outage (500ms Timeout Violations)": P0, respond 15 min, resolve 1 h.

Diagnose: acknowledgement latency, inbox backlog, queues, Redis, PostgreSQL, last deploy.
Mitigate: emergency ack-only mode (``emergency.py``) and scale hints; ``--off`` drains it.
Validate: the runbook's ten timed POSTs; passes when all ten are 2xx and under 500 ms.
"""

from __future__ import annotations

import json
import os
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
from django.conf import settings
from django.db import DatabaseError
from django.db.models import Count, Min, Q
from django.utils import timezone
from redis.exceptions import RedisError

from core.tasks import queue_depths
from integrations.models import MLNotification, NotificationStatus
from operations.runbooks.emergency import (
    ack_only_disable,
    ack_only_drain,
    ack_only_enable,
    ack_only_state,
)
from operations.runbooks.measures import Latency, Window, counts_by, latency, metric_window
from operations.runbooks.probes import (
    database_probe,
    last_deploy,
    redis_probe,
    worker_pools,
)
from operations.runbooks.registry import Options, Outcome, Result
from operations.runbooks.sections import Finding, Section, Verdict, diagnosis

ACK_LIMIT_MS = 500  # ML switches a topic off above this
BACKLOG_STALE = timedelta(minutes=5)  # a pending notification older than this is a backlog
QUEUE_DEEP = 1000  # messages waiting in one queue
REDIS_SLOW_MS = 10.0
DATABASE_SLOW_MS = 20.0
VALIDATE_POSTS = 10
PROBE_TOPIC = "peepers_runbook_probe"  # not a synced topic: stored as ignored, never processed


def _age(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    minutes, seconds = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h {minutes:02d}m" if hours else f"{minutes}m {seconds:02d}s"


def _inbox_backlog() -> dict[str, Any] | None:
    try:
        found = MLNotification.objects.aggregate(
            pending=Count("id", filter=Q(status=NotificationStatus.PENDING)),
            processing=Count("id", filter=Q(status=NotificationStatus.PROCESSING)),
            dead=Count("id", filter=Q(status=NotificationStatus.DEAD)),
            oldest_pending=Min("arrived_at", filter=Q(status=NotificationStatus.PENDING)),
        )
    except DatabaseError:
        return None
    return found


@dataclass(frozen=True)
class _Acks:
    """The acknowledgement latency of the window, measured first: the verdict needs it too."""

    minutes: int
    window: Window
    ack: Latency


def _acknowledgement(acks: _Acks) -> Finding:
    minutes, ack, source = acks.minutes, acks.ack, acks.window.source
    data = {
        "ack": {
            "count": ack.count,
            "p95_ms": ack.p95_ms,
            "p100_ms": ack.p100_ms,
            "mean_ms": ack.mean_ms,
            "over_500": ack.over_500,
            "source": source,
        }
    }
    if ack.count == 0:
        return Finding((f"Webhook acknowledgement, last {minutes} min: no data",), data)
    line = (
        f"Webhook acknowledgement, last {minutes} min: {ack.count} requests, "
        f"p95 {Latency.bound(ack.p95_ms)}, p100 {Latency.bound(ack.p100_ms)}, "
        f"mean {ack.mean_ms:.1f} ms, {ack.over_500} over {ACK_LIMIT_MS} ms [{source}]"
    )
    slow = ack.p95_ms is not None and ack.p95_ms > ACK_LIMIT_MS
    return Finding((line,), data, (f"webhook p95 above {ACK_LIMIT_MS} ms",) if slow else ())


def _answers(acks: _Acks) -> Finding:
    answers = counts_by(metric_window("ml_webhook", minutes=acks.minutes), "outcome")
    data = {"answers": {outcome: int(n) for (outcome,), n in answers.items()}}
    if not answers:
        return Finding((), data)
    counted = ", ".join(f"{outcome} {int(n)}" for (outcome,), n in sorted(answers.items()))
    return Finding((f"Webhook answers: {counted}",), data)


def _backlog(acks: _Acks) -> Finding:
    backlog = _inbox_backlog()
    if backlog is None:
        return Finding(("Inbox backlog: unknown (database unavailable)",))
    oldest = backlog.pop("oldest_pending")
    age = timezone.now() - oldest if oldest else None
    data = {"inbox": {**backlog, "oldest_pending_seconds": age.total_seconds() if age else None}}
    line = (
        f"Inbox backlog: {backlog['pending']} pending"
        + (f" (oldest {_age(age)})" if age else "")
        + f", {backlog['processing']} processing, {backlog['dead']} dead"
    )
    stale = age is not None and age > BACKLOG_STALE
    problem = f"inbox has pending notifications older than {_age(BACKLOG_STALE)}"
    return Finding((line,), data, (problem,) if stale else ())


def _queues(acks: _Acks) -> Finding:
    depths = queue_depths()
    data = {"queues": depths}
    if depths is None:
        lines = ("Queue depth: unknown (broker unreachable)",)
        return Finding(lines, data, ("Celery broker unreachable",))
    line = "Queue depth: " + ", ".join(f"{q} {n}" for q, n in depths.items())
    deep = [q for q, n in depths.items() if n > QUEUE_DEEP]
    problem = f"queue(s) over {QUEUE_DEEP} messages: {', '.join(deep)}"
    return Finding((line,), data, (problem,) if deep else ())


def _ack_only(acks: _Acks) -> Finding:
    try:
        state = ack_only_state()
    except RedisError:
        return Finding(("Ack-only mode: unknown (Redis unreachable)",))
    data = {
        "ack_only": {"on": state.on, "seconds_left": state.seconds_left, "queued": state.queued}
    }
    mode = f"ON, {_age(timedelta(seconds=state.seconds_left))} left" if state.on else "off"
    return Finding((f"Ack-only mode: {mode}, {state.queued} queued for the drainer",), data)


def _redis(acks: _Acks) -> Finding:
    cache = redis_probe()
    data = {"redis": {"ping_ms": cache.ping_ms, **cache.stats, "error": cache.error}}
    if cache.ping_ms is None:
        return Finding((f"Redis: unreachable ({cache.error})",), data, ("Redis unreachable",))
    stats = cache.stats
    ratio = stats["keyspace_hit_ratio"]
    line = (
        f"Redis: PING {cache.ping_ms:.2f} ms; ops/s {stats['instantaneous_ops_per_sec']}, "
        f"clients {stats['connected_clients']} ({stats['blocked_clients']} blocked), "
        f"rejected connections {stats['rejected_connections']}, "
        f"evicted keys {stats['evicted_keys']}, hit ratio "
        + (f"{ratio:.1%}" if ratio is not None else "n/a")
        + f", memory {stats['used_memory_human']}"
    )
    slow = cache.ping_ms > REDIS_SLOW_MS
    return Finding((line,), data, (f"Redis PING above {REDIS_SLOW_MS:g} ms",) if slow else ())


def _postgresql(acks: _Acks) -> Finding:
    database = database_probe()
    data = {"database": {"select_ms": database.select_ms, "error": database.error}}
    if database.select_ms is None:
        lines = (f"PostgreSQL: unreachable ({database.error})",)
        return Finding(lines, data, ("PostgreSQL unreachable",))
    slow = database.select_ms > DATABASE_SLOW_MS
    problem = f"PostgreSQL SELECT 1 above {DATABASE_SLOW_MS:g} ms"
    return Finding(
        (f"PostgreSQL: SELECT 1 {database.select_ms:.2f} ms",), data, (problem,) if slow else ()
    )


def _deploy(acks: _Acks) -> Finding:
    deployed = last_deploy()
    return Finding((f"Last deploy: {deployed}",), {"last_deploy": deployed})


SECTIONS: tuple[Section[_Acks], ...] = (
    Section("Webhook acknowledgement latency", _acknowledgement),
    Section("Webhook answers by outcome", _answers),
    Section("Inbox backlog", _backlog),
    Section("Celery queue depth", _queues),
    Section("Ack-only mode", _ack_only),
    Section("Redis", _redis),
    Section("PostgreSQL", _postgresql),
    Section("Last deploy", _deploy),
)


def _verdict(acks: _Acks) -> Verdict:
    return Verdict(
        ok=f"p95 within {ACK_LIMIT_MS} ms, no backlog, dependencies healthy",
        unknown=(
            "no webhook acknowledgements recorded in the window" if acks.ack.count == 0 else ""
        ),
    )


def diagnose(options: Options) -> Result:
    window = metric_window("ml_webhook_ack", minutes=options.minutes)
    acks = _Acks(options.minutes, window, latency(window))
    return diagnosis(
        acks,
        SECTIONS,
        data={"minutes": options.minutes},
        verdict=_verdict,
        record_problems=True,
    )


def mitigate(options: Options) -> Result:
    if options.off:
        return _mitigation_off()
    until = ack_only_enable(minutes=options.minutes)
    lines = [
        f"Ack-only mode ON until {until:%Y-%m-%d %H:%M:%S} UTC ({options.minutes} min): the "
        "webhook checks source and size, queues the raw body in Redis and answers 200 without "
        "touching PostgreSQL.",
        "The drainer (beat, every 30 s, critical queue) stores queued notifications in the inbox.",
        "Turn it off early with: manage.py runbook webhook-outage mitigate --off",
    ]
    hints, data = scale_hints(minutes=60)
    lines += ["Scale hints:", *(f"  - {hint}" for hint in hints)]
    data["ack_only_until"] = until.isoformat()
    return Result(Outcome.OK, tuple(lines), data)


def _mitigation_off() -> Result:
    was_on = ack_only_disable()
    report = ack_only_drain()
    lines = [f"Ack-only mode {'switched off' if was_on else 'was already off'}."]
    data: dict[str, Any] = {"was_on": was_on, "drain": report.__dict__}
    if report.skipped:
        lines.append(
            f"Another drainer is running; {report.remaining} bodies wait for it (or beat)."
        )
        return Result(Outcome.UNKNOWN, tuple(lines), data)
    lines.append(
        f"Drained: {report.stored} stored, {report.duplicates} duplicates, "
        f"{report.malformed} malformed dropped, {report.wrong_application} for another "
        f"application dropped, {report.remaining} remaining."
    )
    outcome = Outcome.OK if report.remaining == 0 else Outcome.FAILED
    return Result(outcome, tuple(lines), data)


def scale_hints(*, minutes: int) -> tuple[list[str], dict[str, Any]]:
    """Concrete advice from what was measured: web workers vs cores, worker concurrency."""
    cores = os.cpu_count() or 1
    web_workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
    ack = latency(metric_window("ml_webhook_ack", minutes=minutes))
    per_second = ack.count / (minutes * 60)
    depths = queue_depths() or {}
    pools = worker_pools()
    database = database_probe()
    hints: list[str] = []
    suggested_web = 2 * cores + 1
    if web_workers < suggested_web:
        hints.append(
            f"{cores} CPU cores, WEB_CONCURRENCY={web_workers}: raise it to {suggested_web} "
            f"(2 x cores + 1) gunicorn workers; webhook load is {per_second:.2f} req/s over the "
            f"last {minutes} min"
            + (f" with p95 {Latency.bound(ack.p95_ms)}" if ack.count else "")
            + "."
        )
    else:
        hints.append(
            f"{cores} CPU cores, WEB_CONCURRENCY={web_workers} already >= 2 x cores + 1: more "
            "web workers will not help on this machine; add a machine behind the proxy."
        )
    concurrency = sum(pools.values())
    waiting = sum(depths.values())
    if not pools:
        hints.append(
            "No Celery worker answered: start one (`make serve` runs "
            f"`celery worker --concurrency 2`); {waiting} messages are waiting."
        )
    elif waiting > 10 * concurrency:
        hints.append(
            f"{waiting} messages wait for {concurrency} worker process(es) "
            f"({', '.join(f'{n}: {c}' for n, c in pools.items())}): raise --concurrency to "
            f"{max(concurrency * 2, cores * 2)} or add a worker for the critical queue "
            "(`celery -A peepers worker -Q critical`)."
        )
    else:
        hints.append(f"Workers keep up: {waiting} messages waiting for {concurrency} process(es).")
    if database.select_ms is None or database.select_ms > DATABASE_SLOW_MS:
        hints.append(
            "PostgreSQL is slow or unreachable: more web workers add connections to it; keep "
            "ack-only mode on until it recovers."
        )
    data = {
        "cores": cores,
        "web_workers": web_workers,
        "suggested_web_workers": suggested_web,
        "webhook_per_second": round(per_second, 3),
        "worker_pools": pools,
        "queued": waiting,
    }
    return hints, data


def default_url() -> str:
    return f"http://127.0.0.1:{settings.PORT}/api/webhook/mercado-livre"


def probe_body() -> bytes:
    """A notification the view accepts and processing ignores: our application, a topic
    Peepers does not sync (stored once as ignored; the other nine are duplicates)."""
    return json.dumps(
        {
            "_id": f"peepers-runbook-probe-{uuid.uuid4().hex}",
            "topic": PROBE_TOPIC,
            "resource": "/peepers/runbook-probe",
            # The smallest id the receiver accepts (ML's user ids are positive); the topic, not
            # the user, makes processing ignore it.
            "user_id": 1,
            "application_id": str(settings.ML_CLIENT_ID),
            "attempts": 1,
            "sent": timezone.now().isoformat(),
        }
    ).encode()


def validate(options: Options) -> Result:
    url = options.url or default_url()
    headers = {"Content-Type": "application/json"}
    if not options.url:  # the lean path answers only on the public host
        headers["Host"] = f"{settings.PEEPERS_BASE_DOMAIN}:{settings.PORT}"
    body = probe_body()
    lines = [f"POST {url} x{VALIDATE_POSTS} (probe topic {PROBE_TOPIC!r}: stored as ignored)"]
    timings: list[dict[str, Any]] = []
    with httpx.Client(timeout=5.0) as client:
        for _ in range(VALIDATE_POSTS):
            started = time.perf_counter()
            try:
                status = client.post(url, content=body, headers=headers).status_code
                error = ""
            except httpx.HTTPError as exc:
                status, error = 0, type(exc).__name__
            seconds = time.perf_counter() - started
            timings.append({"seconds": round(seconds, 4), "status": status, "error": error})
            lines.append(f"Time: {seconds:.3f}s  " + (f"HTTP {status}" if status else error))
    slow = [t for t in timings if t["seconds"] >= ACK_LIMIT_MS / 1000]
    bad = [t for t in timings if not 200 <= t["status"] < 300]
    data = {"url": url, "timings": timings}
    if bad or slow:
        why = []
        if bad:
            statuses = sorted({t["status"] or t["error"] for t in bad}, key=str)
            why.append(f"{len(bad)} not 2xx ({', '.join(map(str, statuses))})")
            if 403 in statuses:
                why.append(
                    "403: this address is not in ML_WEBHOOK_ALLOWED_IPS (the time still "
                    "measures the path up to the source check)"
                )
        if slow:
            why.append(f"{len(slow)} at or over {ACK_LIMIT_MS} ms")
        lines.append("Verdict: FAILED: " + "; ".join(why))
        return Result(Outcome.FAILED, tuple(lines), data)
    lines.append(f"Verdict: OK: all {VALIDATE_POSTS} answered 2xx under {ACK_LIMIT_MS} ms")
    return Result(Outcome.OK, tuple(lines), data)
