"""On-call staff act here: the incident list on the SLA clock, Acknowledge and Resolve actions.

Timestamps, who acted and the timeline change only through the actions (which call the services
and record the staff member); the timeline and the notifications are read-only, nothing deletes.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone

from core.admin_readonly import ReadOnlyAdmin
from operations.incidents.errors import IncidentAlreadyResolved
from operations.incidents.models import Incident, IncidentEvent, Notification, State
from operations.incidents.services import incident_acknowledge, incident_resolve


def _span(delta: timedelta) -> str:
    minutes = int(abs(delta).total_seconds() // 60)
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    if days:
        return f"{days}d {hours}h"
    return f"{hours}h {minutes:02d}m" if hours else f"{minutes}m"


def sla_clock(incident: Incident, now: datetime) -> str:
    """What the on-call person must beat next: respond, then resolve."""
    if incident.state == State.RESOLVED:
        assert incident.resolved_at is not None
        late = incident.resolved_at > incident.resolve_due_at
        return "resolved late" if late else "resolved in SLA"
    if incident.state == State.TRIGGERED:
        due, what = incident.respond_due_at, "respond"
    else:
        due, what = incident.resolve_due_at, "resolve"
    if now > due:
        return f"{what} SLA breached {_span(now - due)} ago"
    return f"{what} within {_span(due - now)}"


class ReadOnlyInline(admin.TabularInline):  # type: ignore[type-arg]
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class IncidentEventInline(ReadOnlyInline):
    model = IncidentEvent
    fields = readonly_fields = ("at", "kind", "actor", "message")


class NotificationInline(ReadOnlyInline):
    model = Notification
    fields = readonly_fields = ("created_at", "reason", "channel", "status", "attempts", "error")


@admin.register(Incident)
class IncidentAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["title", "priority", "state", "age", "sla", "fire_count", "key"]
    list_filter = ["state", "priority"]
    search_fields = ["title", "key", "runbook"]
    date_hierarchy = "triggered_at"
    readonly_fields = [
        "key",
        "tenant",
        "title",
        "priority",
        "state",
        "details",
        "runbook",
        "fire_count",
        "triggered_at",
        "last_seen_at",
        "acknowledged_at",
        "acknowledged_by",
        "resolved_at",
        "resolved_by",
        "resolution_note",
        "response_escalated_at",
        "resolution_escalated_at",
        "sla",
    ]
    inlines = [IncidentEventInline, NotificationInline]
    actions = ["acknowledge", "resolve"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description="age")
    def age(self, incident: Incident) -> str:
        return _span(timezone.now() - incident.triggered_at)

    @admin.display(description="SLA")
    def sla(self, incident: Incident) -> str:
        return sla_clock(incident, timezone.now())

    @admin.action(description="Acknowledge selected incidents")
    def acknowledge(self, request: HttpRequest, queryset: QuerySet[Incident]) -> None:
        by = str(request.user.get_username())
        done = 0
        for incident in queryset:
            try:
                incident_acknowledge(incident=incident, by=by)
                done += 1
            except IncidentAlreadyResolved:
                self.message_user(request, f"{incident} is resolved", messages.WARNING)
        self.message_user(request, f"Acknowledged {done} incident(s).")

    @admin.action(description="Resolve selected incidents")
    def resolve(self, request: HttpRequest, queryset: QuerySet[Incident]) -> None:
        by = str(request.user.get_username())
        done = 0
        for incident in queryset:
            try:
                incident_resolve(incident=incident, by=by, note="resolved in admin")
                done += 1
            except IncidentAlreadyResolved:
                self.message_user(request, f"{incident} was already resolved", messages.WARNING)
        self.message_user(request, f"Resolved {done} incident(s).")


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ["incident", "reason", "channel", "status", "attempts", "created_at"]
    list_filter = ["status", "reason"]
    readonly_fields = [
        "incident",
        "reason",
        "channel",
        "channel_hash",
        "title",
        "body",
        "status",
        "attempts",
        "error",
        "created_at",
        "last_attempt_at",
        "sent_at",
    ]
