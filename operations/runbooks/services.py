"""Running a runbook step: recorded (who, when, output, outcome) and linked to the open
incident that names the runbook, with a note on that incident's timeline."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

from django.db import DatabaseError
from django.utils import timezone

from operations.incidents.models import Incident, State
from operations.incidents.services import incident_note
from operations.runbooks.catalog import runbook_get
from operations.runbooks.errors import UnknownAction
from operations.runbooks.models import RunbookRun
from operations.runbooks.registry import ACTIONS, Options, Outcome, Result

logger = logging.getLogger(__name__)

NOTE_LINES = 30  # of the output, on the incident's timeline (the run keeps all of it)


@dataclass(frozen=True)
class Ran:
    result: Result
    run: RunbookRun | None  # None when PostgreSQL could not record it


def open_incident_for(name: str) -> Incident | None:
    return (
        Incident.objects.filter(runbook=name)
        .exclude(state=State.RESOLVED)
        .order_by("-triggered_at", "-id")
        .first()
    )


def runbook_run(*, name: str, action: str, options: Options, by: str) -> Ran:
    """Run one step and record it. The step runs even when the database cannot record it
    (a webhook outage may be the database): ``Ran.run`` is then None."""
    runbook = runbook_get(name)
    if action not in ACTIONS:
        raise UnknownAction(f"unknown action {action!r}; valid: {', '.join(ACTIONS)}")
    run: RunbookRun | None
    try:
        run = RunbookRun.objects.create(
            runbook=name,
            action=action,
            started_by=by,
            started_at=timezone.now(),
            incident=open_incident_for(name),
        )
    except DatabaseError:
        logger.exception("runbook %s %s: the run cannot be recorded", name, action)
        run = None
    try:
        result = runbook.step(action)(options)
    except Exception as exc:
        failed = Result(Outcome.FAILED, (f"error: {type(exc).__name__}: {exc}",))
        _record(run, failed)
        raise
    _record(run, result)
    return Ran(result=result, run=run)


def json_safe(data: dict[str, Any]) -> dict[str, Any]:
    """What jsonb accepts: datetimes as text, an infinite bound as "Infinity"."""
    safe: dict[str, Any] = json.loads(json.dumps(data, default=str), parse_constant=str)
    return safe


def _record(run: RunbookRun | None, result: Result) -> None:
    if run is None:
        return
    run.finished_at = timezone.now()
    run.outcome = result.outcome.value
    run.output = "\n".join(result.lines)
    run.data = json_safe(result.data)
    try:
        run.save(update_fields=["finished_at", "outcome", "output", "data"])
        if run.incident is not None:
            shown = result.lines[:NOTE_LINES]
            more = len(result.lines) - len(shown)
            incident_note(
                incident=run.incident,
                by=run.started_by,
                message=(
                    f"runbook {run.runbook} {run.action}: {run.outcome} (run #{run.pk})\n"
                    + "\n".join(shown)
                    + (f"\n… {more} more line(s) in the run" if more > 0 else "")
                ),
            )
    except DatabaseError:
        logger.exception("runbook %s %s: the result cannot be recorded", run.runbook, run.action)
