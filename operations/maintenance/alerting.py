"""How maintenance raises an alert: an incident, and a mail when no channel would hear it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.mail import mail_admins

from operations.incidents.channels import channels_for
from operations.incidents.models import Incident
from operations.incidents.services import incident_fire


def maintenance_alert(
    *, key: str, title: str, priority: str, details: dict[str, Any], now: datetime
) -> Incident:
    """Open (or count again) the incident ``key``; without a NOTIFY_URLS channel for its
    priority, a new incident is also mailed to ADMINS: an incident nobody hears is no alert."""
    incident = incident_fire(key=key, title=title, priority=priority, details=details, now=now)
    if incident.fire_count == 1 and not channels_for(priority=priority):
        body = "\n".join(f"{name}: {value}" for name, value in details.items())
        mail_admins(title, f"{body}\n\nIncident {incident.pk} ({key}).")
    return incident
