"""Celery tasks of the audit log: thin wrappers over the services."""

from __future__ import annotations

from typing import Any

from django.conf import settings

from compliance.audit.access_review import access_review_run
from compliance.audit.services import Actor
from core.tasks import task


@task(name="audit.access_review", queue="low", tenant_scoped=False, soft_time_limit=600)
def access_review() -> dict[str, Any]:
    """The monthly review (``CELERY_BEAT_SCHEDULE``); the counts, for the worker's log."""
    review = access_review_run(
        inactive_days=settings.ACCESS_REVIEW_INACTIVE_DAYS,
        dry_run=False,
        actor=Actor.system("audit.access_review"),
    )
    return {"staff": len(review.staff), "disabled": [entry.email for entry in review.disabled]}
