"""Alert states in admin: each rule per scope, its status, last reading and incident.

Read-only: states change only by evaluation ("Evaluate now" runs one). The rule file in force,
and the error of a rejected one, are shown above the list.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.html import format_html

from core.admin_readonly import ReadOnlyAdmin
from operations.alerts.models import AlertState, RuleFile
from operations.alerts.rules import RuleFileError
from operations.alerts.services import alerts_run


@admin.register(AlertState)
class AlertStateAdmin(ReadOnlyAdmin):
    list_display = (
        "rule",
        "scope",
        "status",
        "reading",
        "samples",
        "since",
        "evaluated_at",
        "incident_link",
    )
    list_filter = ("status", "rule")
    search_fields = ("rule", "scope")
    list_select_related = ("incident",)
    readonly_fields = [f.name for f in AlertState._meta.fields]
    actions = ["evaluate_now"]

    @admin.display(description="value")
    def reading(self, state: AlertState) -> str:
        if state.value is None:
            return f"no data — {state.detail}"[:120]
        return f"{state.value:g} — {state.detail}"[:120]

    @admin.display(description="incident")
    def incident_link(self, state: AlertState) -> str:
        if state.incident_id is None:
            return "—"
        url = reverse("admin:incidents_incident_change", args=[state.incident_id])
        return format_html(
            '<a href="{}">#{} {}</a>',
            url,
            state.incident_id,
            state.incident.state if state.incident else "",
        )

    @admin.action(description="Evaluate every rule now", permissions=["view"])
    def evaluate_now(self, request: HttpRequest, queryset: QuerySet[AlertState]) -> None:
        try:
            evaluations = alerts_run()
        except RuleFileError as exc:
            self.message_user(request, f"No alert rules in force: {exc}", messages.ERROR)
            return
        if evaluations is None:
            self.message_user(
                request, "Nothing evaluated: another evaluation is running.", messages.WARNING
            )
            return
        firing = sum(1 for e in evaluations if e.status == "firing")
        self.message_user(request, f"Evaluated {len(evaluations)} rule scopes; {firing} firing.")

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        stored = RuleFile.objects.order_by("pk").first()
        if stored is None:
            self.message_user(request, "No alert rules have loaded yet.", messages.WARNING)
        elif stored.error:
            self.message_user(
                request,
                f"The rule file was rejected at {stored.error_at:%Y-%m-%d %H:%M} UTC and the "
                f"rules loaded at {stored.loaded_at:%Y-%m-%d %H:%M} UTC stay in force: "
                f"{stored.error}",
                messages.ERROR,
            )
        return super().changelist_view(request, extra_context)
