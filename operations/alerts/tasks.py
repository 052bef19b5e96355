"""The beat task: measure, then evaluate the rules (``alerts.evaluate``, every 30 s)."""

from __future__ import annotations

from core.tasks import task
from operations.alerts.services import alerts_run


@task(name="alerts.evaluate", queue="critical", tenant_scoped=False, soft_time_limit=25)
def evaluate() -> dict[str, int]:
    evaluations = alerts_run()
    if evaluations is None:
        return {"evaluated": 0}
    return {
        "evaluated": len(evaluations),
        "firing": sum(1 for e in evaluations if e.status == "firing"),
        "fired": sum(1 for e in evaluations if e.action == "fired"),
        "resolved": sum(1 for e in evaluations if e.action == "resolved"),
    }
