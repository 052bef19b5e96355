"""Runbook runs in admin, read-only: the list with filters, each run's output and findings,
and the runs of an incident on its change page.

The incident page gets its inline from here, not from ``operations/incidents/admin.py``:
runbooks depend on incidents (the foreign key), so incidents must not import runbooks.
"""

from __future__ import annotations

import json
from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html

import operations.incidents.admin  # noqa: F401  # registers IncidentAdmin before we extend it
from operations.incidents.models import Incident
from operations.runbooks.models import RunbookRun


class _ReadOnly:
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


def _duration(run: RunbookRun) -> str:
    if run.finished_at is None:
        return "-"
    return f"{(run.finished_at - run.started_at).total_seconds():.1f}s"


@admin.register(RunbookRun)
class RunbookRunAdmin(_ReadOnly, admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["started_at", "runbook", "action", "outcome", "started_by", "took", "linked"]
    list_filter = ["runbook", "action", "outcome"]
    list_select_related = ["incident"]
    search_fields = ["runbook", "started_by", "output"]
    date_hierarchy = "started_at"
    fields = readonly_fields = (
        "runbook",
        "action",
        "outcome",
        "started_by",
        "started_at",
        "finished_at",
        "linked",
        "output_text",
        "findings",
    )

    @admin.display(description="took")
    def took(self, run: RunbookRun) -> str:
        return _duration(run)

    @admin.display(description="incident")
    def linked(self, run: RunbookRun) -> str:
        if run.incident_id is None:
            return "-"
        url = reverse("admin:incidents_incident_change", args=[run.incident_id])
        return format_html('<a href="{}">{}</a>', url, str(run.incident))

    @admin.display(description="output")
    def output_text(self, run: RunbookRun) -> str:
        return format_html("<pre>{}</pre>", run.output)

    @admin.display(description="findings (JSON)")
    def findings(self, run: RunbookRun) -> str:
        return format_html("<pre>{}</pre>", json.dumps(run.data, indent=2, sort_keys=True))


class RunbookRunInline(_ReadOnly, admin.TabularInline):  # type: ignore[type-arg]
    model = RunbookRun
    extra = 0
    fields = readonly_fields = ("started_at", "runbook", "action", "outcome", "started_by", "run")
    ordering = ["-started_at"]

    @admin.display(description="run")
    def run(self, run: RunbookRun) -> str:
        url = reverse("admin:runbooks_runbookrun_change", args=[run.pk])
        return format_html('<a href="{}">output</a>', url)


def _attach_to_incident_admin() -> None:
    incident_admin = admin.site.get_model_admin(Incident)
    if RunbookRunInline not in incident_admin.inlines:
        # On this site's instance, not the class: IncidentAdmin itself stays as its app wrote it.
        setattr(incident_admin, "inlines", [*incident_admin.inlines, RunbookRunInline])  # noqa: B010


_attach_to_incident_admin()
