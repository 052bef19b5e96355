"""Celery tasks of the compliance core."""

from __future__ import annotations

from compliance.dsr.requests import dsr_alerts_send
from core.tasks import task


@task(name="compliance.dsr_deadlines", queue="default", tenant_scoped=False, soft_time_limit=120)
def dsr_deadlines() -> int:
    """Hourly: alerts for data-subject requests at 5 days, 1 day and past their deadline."""
    return dsr_alerts_send()
