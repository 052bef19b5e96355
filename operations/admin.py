"""The KPI dashboard in admin: the runbook's KPI table with value, target and trend."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.template.response import TemplateResponse

from core.tasks import queue_depths
from operations.alerts.models import AlertState, AlertStatus
from operations.kpis import business_kpis, kpi_table
from operations.models import MetricMinute


@admin.register(MetricMinute)
class KpiDashboardAdmin(admin.ModelAdmin[MetricMinute]):
    """Listed as "Metric minutes"; its page is the KPI table over the chosen window."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return obj is None

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> TemplateResponse:
        try:
            minutes = max(5, min(int(request.GET.get("minutes", "60")), 7 * 24 * 60))
        except ValueError:
            minutes = 60
        context = {
            **self.admin_site.each_context(request),
            "title": "KPI dashboard",
            "opts": self.model._meta,
            "kpis": kpi_table(minutes=minutes),
            "business": business_kpis(),
            "queues": queue_depths(),
            "firing": AlertState.objects.filter(status=AlertStatus.FIRING).order_by("rule"),
            "minutes": minutes,
            "windows": [
                (15, "15 min"),
                (60, "1 hour"),
                (24 * 60, "1 day"),
                (7 * 24 * 60, "7 days"),
            ],
        }
        return TemplateResponse(request, "admin/operations/kpis.html", context)
