"""Incidents opened for what other apps report through their signals."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from django.dispatch import receiver

from integrations.mercadolivre.forbidden import INCIDENT_KEY, application_refused
from integrations.mercadolivre.signals import refresh_interrupted
from integrations.models import MLConnection
from operations.incidents.models import Incident, Priority
from operations.incidents.services import incident_fire
from tenants.models import Tenant

REFRESH_INTERRUPTED_KEY = "ml-refresh-interrupted"
# The runbook "OAuth Token Refresh Failures" (``OAUTH_REFRESH_FAILURES`` in
# operations/runbooks/registry.py, which incidents do not import): its runs note the incident.
OAUTH_REFRESH_RUNBOOK = "oauth-refresh-failures"
TITLE_LENGTH = Incident._meta.get_field("title").max_length or 300


@receiver(application_refused, dispatch_uid="incidents.ml_application_refused")
def ml_application_refused(*, cause: str, path: str, message: str, **_: Any) -> None:
    incident_fire(
        key=f"{INCIDENT_KEY}:{cause}",
        title=f"Mercado Livre refuses Peepers' application: {cause.replace('_', ' ')}",
        priority=Priority.P1,
        details={"cause": cause, "path": path, "message": message[:500]},
    )


@receiver(refresh_interrupted, dispatch_uid="incidents.ml_refresh_interrupted")
def ml_refresh_interrupted(
    *, schema: str, ml_user_id: int, started_at: datetime, message: str, **_: Any
) -> None:
    """One incident per store and ML account while open: our failure, not the seller's act."""
    since = started_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    nickname = (
        MLConnection.objects.filter(ml_user_id=ml_user_id, tenant__schema_name=schema)
        .values_list("nickname", flat=True)
        .first()
    ) or ""
    account = f"ML user {ml_user_id} {nickname}".strip()
    title = (
        f"Store {schema} lost its Mercado Livre connection ({account}) because our "
        f"token refresh begun {since} was interrupted, not because the seller revoked access; "
        "the seller has been asked to reconnect"
    )
    incident_fire(
        key=f"{REFRESH_INTERRUPTED_KEY}:{schema}:{ml_user_id}",
        title=title[:TITLE_LENGTH],
        priority=Priority.P1,
        details={
            "cause": "refresh_interrupted",
            "explanation": (
                "A token refresh was interrupted (process killed or connection lost) after the "
                "request may have reached Mercado Livre, which rotates the refresh token on "
                "receipt; the new pair never got saved, so the next refresh was refused with "
                "invalid_grant. The seller did not revoke access. The account is marked for "
                "reconnection and its owners were e-mailed."
            ),
            "schema": schema,
            "ml_user_id": ml_user_id,
            "nickname": nickname,
            "started_at": started_at.isoformat(),
            "message": message[:500],
        },
        runbook=OAUTH_REFRESH_RUNBOOK,
        tenant=Tenant.objects.filter(schema_name=schema).first(),
    )
