"""What is read of incidents for one store: the open ones its pages show."""

from __future__ import annotations

from operations.incidents.models import Incident, State
from tenants.models import Tenant

OPEN_SHOWN = 10


def incidents_open_for(*, tenant: Tenant, limit: int = OPEN_SHOWN) -> list[Incident]:
    """The store's open incidents (raised for it, e.g. by an alert rule scoped by tenant),
    newest first."""
    return list(
        Incident.objects.filter(tenant=tenant)
        .exclude(state=State.RESOLVED)
        .only("title", "priority", "state", "triggered_at")
        .order_by("-triggered_at")[:limit]
    )
