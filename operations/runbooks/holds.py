"""Holding Celery queues during an incident: stop their consumers on every worker that answers,
remember which workers stopped in Redis under the runbook that asked, and resume exactly those.

Two runbooks may hold the same queue (``rate-limit-exceeded`` and ``ml-api-down`` both hold
the ML queues): releasing one leaves a queue another still holds paused.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from core.redis import redis_client, redis_key
from core.tasks import celery_app

app = celery_app()

CONTROL_TIMEOUT = 2.0  # seconds to wait for workers' replies


def hold_key(holder: str) -> str:
    return redis_key("runbooks", holder, "paused")


def holders() -> list[str]:
    """The runbooks whose mitigation holds queues now (each writes its ``hold_key``)."""
    prefix, suffix = hold_key("\x00").split("\x00")
    keys = redis_client().scan_iter(match=hold_key("*"), count=100)
    return sorted(key.decode()[len(prefix) : -len(suffix)] for key in keys)


def hold_state(holder: str) -> dict[str, Any] | None:
    raw = redis_client().get(hold_key(holder))
    return json.loads(raw) if raw else None


def _answered(replies: list[dict[str, Any]] | None) -> list[str]:
    return sorted(name for reply in replies or [] for name in reply)


@dataclass(frozen=True)
class Change:
    workers: dict[str, list[str]]  # queue -> workers that confirmed
    lines: tuple[str, ...]


def queues_hold(*, holder: str, queues: Sequence[str]) -> Change:
    """Stop ``queues``' consumers on every worker that answers; record them under ``holder``."""
    workers: dict[str, list[str]] = {}
    lines = []
    for queue in queues:
        replies = app.control.cancel_consumer(queue, reply=True, timeout=CONTROL_TIMEOUT)
        workers[queue] = _answered(replies)
        lines.append(
            f"Queue {queue}: consumers stopped on {', '.join(workers[queue])}"
            if workers[queue]
            else f"Queue {queue}: no worker answered; nothing to stop"
        )
    previous = hold_state(holder) or {"workers": {}}
    merged = {
        queue: sorted(set(previous["workers"].get(queue, [])) | set(names))
        for queue, names in workers.items()
    }
    state = {"queues": list(queues), "workers": merged, "at": timezone.now().isoformat()}
    redis_client().set(hold_key(holder), json.dumps(state))
    return Change(merged, tuple(lines))


def queues_release(*, holder: str) -> Change:
    """Resume the consumers ``holder`` stopped, except on queues another holder still holds."""
    state = hold_state(holder)
    if state is None:
        return Change({}, ("No paused consumers recorded.",))
    others = {
        queue
        for other in holders()
        if other != holder
        for queue in (hold_state(other) or {}).get("queues", [])
    }
    resumed: dict[str, list[str]] = {}
    lines = []
    for queue, names in state["workers"].items():
        if not names:
            continue
        if queue in others:
            # The other holder resumes these workers too when it lets go: it may not have
            # heard them answer its own stop, as they were stopped already.
            _hand_over(queue, names, holder=holder)
            lines.append(f"Queue {queue}: kept paused, another runbook's mitigation holds it")
            continue
        replies = app.control.add_consumer(
            queue, destination=names, reply=True, timeout=CONTROL_TIMEOUT
        )
        resumed[queue] = _answered(replies)
        missing = sorted(set(names) - set(resumed[queue]))
        lines.append(
            f"Queue {queue}: consuming again on {', '.join(resumed[queue]) or 'no worker'}"
            + (f"; no answer from {', '.join(missing)}" if missing else "")
        )
    redis_client().delete(hold_key(holder))
    return Change(resumed, tuple(lines))


def _hand_over(queue: str, names: Sequence[str], *, holder: str) -> None:
    """Add ``names`` to the workers every other holder of ``queue`` resumes when it lets go."""
    client = redis_client()
    for other in holders():
        state = hold_state(other)
        if other == holder or state is None or queue not in state.get("queues", []):
            continue
        known = state["workers"].get(queue, [])
        state["workers"][queue] = sorted(set(known) | set(names))
        client.set(hold_key(other), json.dumps(state))
