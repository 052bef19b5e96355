"""Incidents opened for what other apps report through their signals."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from integrations.mercadolivre.forbidden import INCIDENT_KEY, application_refused
from operations.incidents.models import Priority
from operations.incidents.services import incident_fire


@receiver(application_refused, dispatch_uid="incidents.ml_application_refused")
def ml_application_refused(*, cause: str, path: str, message: str, **_: Any) -> None:
    incident_fire(
        key=f"{INCIDENT_KEY}:{cause}",
        title=f"Mercado Livre refuses Peepers' application: {cause.replace('_', ' ')}",
        priority=Priority.P1,
        details={"cause": cause, "path": path, "message": message[:500]},
    )
