"""Incidents with the runbook's SLA timers, and the notifications sent about them.

Public schema: incidents are about the platform, and some about one store (``tenant``). Who
acted is a staff e-mail string, not a foreign key, because users live in every store's schema.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import models
from django.db.models import Q

from tenants.models import Tenant


class Priority(models.TextChoices):
    P0 = "P0", "P0 critical"
    P1 = "P1", "P1 high"
    P2 = "P2", "P2 medium"
    P3 = "P3", "P3 low"


@dataclass(frozen=True)
class SLA:
    respond: timedelta
    resolve: timedelta


# peepers-runbooks.md gives P0-P2; P3 is ours (the runbook names no P3): 4 h / 24 h.
SLAS: dict[str, SLA] = {
    Priority.P0: SLA(respond=timedelta(minutes=15), resolve=timedelta(hours=1)),
    Priority.P1: SLA(respond=timedelta(minutes=30), resolve=timedelta(hours=2)),
    Priority.P2: SLA(respond=timedelta(hours=1), resolve=timedelta(hours=4)),
    Priority.P3: SLA(respond=timedelta(hours=4), resolve=timedelta(hours=24)),
}


class State(models.TextChoices):
    TRIGGERED = "triggered"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"


class Incident(models.Model):
    # rule + scope, e.g. "webhook_timeout:global"; unique among open incidents only, so a
    # trigger after resolution opens a new incident (PagerDuty's dedup_key semantics).
    key = models.CharField(max_length=255)
    # The store the incident is about (an alert rule scoped by tenant), or None for the platform.
    tenant = models.ForeignKey(
        Tenant,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="incidents",
        db_index=False,  # the store's index below leads with it
    )
    title = models.CharField(max_length=300)
    priority = models.CharField(max_length=2, choices=Priority.choices)
    state = models.CharField(max_length=12, choices=State.choices, default=State.TRIGGERED)
    details = models.JSONField(default=dict, blank=True)
    runbook = models.CharField(max_length=100, blank=True)
    fire_count = models.PositiveIntegerField(default=1)
    triggered_at = models.DateTimeField()
    last_seen_at = models.DateTimeField()
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.CharField(max_length=254, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.CharField(max_length=254, blank=True)
    resolution_note = models.TextField(blank=True)
    # Set once when the breach is escalated, so each breach kind escalates once.
    response_escalated_at = models.DateTimeField(null=True, blank=True)
    resolution_escalated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-triggered_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["key"],
                condition=~Q(state="resolved"),
                name="incidents_one_open_per_key",
            )
        ]
        indexes = [
            models.Index(fields=["state", "triggered_at"]),
            # A store's incidents, newest first (the store's overview lists the open ones).
            models.Index(fields=["tenant", "-triggered_at"], name="incident_tenant_triggered"),
        ]

    def __str__(self) -> str:
        return f"{self.priority} {self.title}"

    @property
    def sla(self) -> SLA:
        return SLAS[self.priority]

    @property
    def respond_due_at(self) -> datetime:
        return self.triggered_at + self.sla.respond

    @property
    def resolve_due_at(self) -> datetime:
        return self.triggered_at + self.sla.resolve


class EventKind(models.TextChoices):
    FIRED = "fired"
    ACKNOWLEDGED = "acknowledged"
    ESCALATED = "escalated"
    NOTIFIED = "notified"
    RESOLVED = "resolved"
    NOTE = "note"


class IncidentEvent(models.Model):
    """The incident's timeline; rows are only ever added."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=12, choices=EventKind.choices)
    at = models.DateTimeField()
    actor = models.CharField(max_length=254, blank=True)  # staff e-mail, or "" for the system
    message = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.kind} at {self.at:%Y-%m-%d %H:%M}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise ValueError("the incident timeline is append-only; add an event instead")
        super().save(*args, **kwargs)


class DeliveryStatus(models.TextChoices):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"


class Notification(models.Model):
    """One message to one channel about one incident, and how its delivery went."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="notifications")
    reason = models.CharField(max_length=12, choices=EventKind.choices)
    channel = models.CharField(max_length=500)  # the apprise URL with secrets masked
    # sha256 of the real URL: the task finds the URL in settings again, so no secret is stored.
    channel_hash = models.CharField(max_length=64)
    title = models.CharField(max_length=300)
    body = models.TextField()
    status = models.CharField(
        max_length=8, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField()
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "id"]

    def __str__(self) -> str:
        return f"{self.reason} → {self.channel}: {self.status}"
