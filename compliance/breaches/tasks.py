"""Celery tasks of breach cases: thin wrappers for operations to schedule (no beat entry yet)."""

from __future__ import annotations

from django.utils import timezone

from compliance.breaches.alerts import breach_deadlines_due
from compliance.breaches.drill import breach_drill_run
from core.tasks import task


@task(name="breaches.drill", queue="low", tenant_scoped=False, soft_time_limit=300)
def breach_drill(by: str = "celery:breaches.drill") -> dict[str, str | int]:
    """Run the breach drill (quarterly, per the runbook checklist) and return its outcome."""
    drill = breach_drill_run(by=by)
    return {"drill_id": drill.pk, "outcome": drill.outcome, "duration_ms": drill.duration_ms}


@task(name="breaches.deadlines_check", queue="high", tenant_scoped=False, soft_time_limit=60)
def breach_deadlines_check() -> int:
    """Alert on breach deadlines near or passed; returns how many are due."""
    return len(breach_deadlines_due(now=timezone.now()))
