"""What happens to incidents: fire (deduplicated), acknowledge, resolve, escalate on breach."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from operations.incidents.channels import escalation_priority
from operations.incidents.errors import IncidentAlreadyResolved
from operations.incidents.models import SLAS, EventKind, Incident, IncidentEvent, Priority, State
from operations.incidents.notify import notifications_queue
from tenants.models import Tenant


def incident_fire(
    *,
    key: str,
    title: str,
    priority: str,
    details: dict[str, Any],
    runbook: str = "",
    tenant: Tenant | None = None,
    now: datetime | None = None,
) -> Incident:
    """Open an incident for ``key``, or count another sighting of the open one.

    ``tenant`` is the store the incident is about (None: the platform); the key stays what
    deduplicates, so a store's key names the store too.

    Safe to call on every evaluation: the partial unique constraint keeps one open incident per
    key, and only a new incident notifies (a repeat while open is counted, not re-sent).
    """
    now = now or timezone.now()
    priority = Priority(priority)
    with transaction.atomic():
        open_ = _open_for_update(key)
        if open_ is None:
            try:
                with transaction.atomic():
                    incident = Incident.objects.create(
                        key=key,
                        title=title,
                        priority=priority,
                        details=details,
                        runbook=runbook,
                        tenant=tenant,
                        triggered_at=now,
                        last_seen_at=now,
                    )
            except IntegrityError:  # another evaluator opened it first
                open_ = _open_for_update(key)
                assert open_ is not None
            else:
                IncidentEvent.objects.create(
                    incident=incident, kind=EventKind.FIRED, at=now, message=title
                )
                notifications_queue(
                    incident=incident, reason=EventKind.FIRED, priority=priority, now=now
                )
                return incident
        Incident.objects.filter(pk=open_.pk).update(
            fire_count=F("fire_count") + 1, last_seen_at=now, details=details
        )
        open_.refresh_from_db()
        return open_


def _open_for_update(key: str) -> Incident | None:
    return (
        Incident.objects.select_for_update().filter(key=key).exclude(state=State.RESOLVED).first()
    )


def incident_acknowledge(*, incident: Incident, by: str, now: datetime | None = None) -> Incident:
    now = now or timezone.now()
    with transaction.atomic():
        incident = Incident.objects.select_for_update().get(pk=incident.pk)
        if incident.state == State.RESOLVED:
            raise IncidentAlreadyResolved(incident.key)
        if incident.state == State.ACKNOWLEDGED:
            return incident
        incident.state = State.ACKNOWLEDGED
        incident.acknowledged_at = now
        incident.acknowledged_by = by
        incident.save(update_fields=["state", "acknowledged_at", "acknowledged_by"])
        IncidentEvent.objects.create(
            incident=incident, kind=EventKind.ACKNOWLEDGED, at=now, actor=by
        )
    return incident


def incident_resolve(
    *, incident: Incident, by: str, note: str, now: datetime | None = None
) -> Incident:
    """Resolve; an incident never acknowledged counts as acknowledged now (for MTTA)."""
    now = now or timezone.now()
    with transaction.atomic():
        incident = Incident.objects.select_for_update().get(pk=incident.pk)
        if incident.state == State.RESOLVED:
            raise IncidentAlreadyResolved(incident.key)
        if incident.acknowledged_at is None:
            incident.acknowledged_at = now
            incident.acknowledged_by = by
        incident.state = State.RESOLVED
        incident.resolved_at = now
        incident.resolved_by = by
        incident.resolution_note = note
        incident.save(
            update_fields=[
                "state",
                "acknowledged_at",
                "acknowledged_by",
                "resolved_at",
                "resolved_by",
                "resolution_note",
            ]
        )
        IncidentEvent.objects.create(
            incident=incident, kind=EventKind.RESOLVED, at=now, actor=by, message=note
        )
    return incident


def incident_resolve_by_key(*, key: str, now: datetime | None = None) -> Incident | None:
    """Auto-resolve the open incident for ``key`` (the alert cleared); None if none is open."""
    incident = Incident.objects.filter(key=key).exclude(state=State.RESOLVED).first()
    if incident is None:
        return None
    try:
        return incident_resolve(incident=incident, by="", note="alert cleared", now=now)
    except IncidentAlreadyResolved:
        return None


def incident_note(*, incident: Incident, by: str, message: str) -> IncidentEvent:
    return IncidentEvent.objects.create(
        incident=incident, kind=EventKind.NOTE, at=timezone.now(), actor=by, message=message
    )


def incident_escalate_due(*, now: datetime) -> list[IncidentEvent]:
    """Escalate each SLA breach once: response (not acknowledged in time), then resolution.

    The claim is a conditional UPDATE on the breach's ``*_escalated_at`` being empty, so two
    beat runs (or two workers) escalate a breach once (healthchecks.io's ``sendalerts``).
    """
    events = []
    for priority, sla in SLAS.items():
        overdue_response = Incident.objects.filter(
            priority=priority,
            state=State.TRIGGERED,
            response_escalated_at__isnull=True,
            triggered_at__lte=now - sla.respond,
        )
        for incident in overdue_response:
            events += _escalate(incident, "response", sla.respond, now)
        overdue_resolution = Incident.objects.filter(
            Q(priority=priority)
            & ~Q(state=State.RESOLVED)
            & Q(resolution_escalated_at__isnull=True, triggered_at__lte=now - sla.resolve)
        )
        for incident in overdue_resolution:
            events += _escalate(incident, "resolution", sla.resolve, now)
    return events


def _escalate(incident: Incident, kind: str, limit: Any, now: datetime) -> list[IncidentEvent]:
    field = f"{kind}_escalated_at"
    with transaction.atomic():
        claimed = (
            Incident.objects.filter(pk=incident.pk, **{f"{field}__isnull": True})
            .exclude(state=State.RESOLVED)
            .update(**{field: now})
        )
        if claimed != 1:
            return []
        incident.refresh_from_db()
        target = escalation_priority(priority=incident.priority)
        event = IncidentEvent.objects.create(
            incident=incident,
            kind=EventKind.ESCALATED,
            at=now,
            message=f"{kind} SLA ({limit}) breached; notifying {target} channels",
        )
        notifications_queue(incident=incident, reason=EventKind.ESCALATED, priority=target, now=now)
    return [event]
