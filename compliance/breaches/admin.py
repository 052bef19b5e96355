"""Staff workflow for breach cases: the list on the clock, a form per phase, actions that advance.

Phase timestamps, who acted and the notification times are read-only: they change only through
the actions (which call the services and record the staff member). Nothing here can be deleted:
the register is kept 5 years (Res. CD/ANPD 15/2024 art. 10).
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.html import format_html

from compliance.breaches import deadlines
from compliance.breaches.errors import BreachError
from compliance.breaches.models import (
    AffectedTenant,
    BreachAlert,
    BreachCase,
    BreachDrill,
    Phase,
    Severity,
)
from compliance.breaches.register import breach_register
from compliance.breaches.services import (
    breach_advance,
    breach_next_phase,
    breach_notice_drafts,
    breach_open,
    breach_record_notification,
)
from core.admin_readonly import ReadOnlyAdmin

OPENING_FIELDS = ["title", "description", "awareness_at", "detected_by", "detection_method"]
PHASE_STEPS = [
    "containment_started_at",
    "containment_started_by",
    "containment_finished_at",
    "containment_finished_by",
    "assessment_finished_at",
    "assessment_finished_by",
    "notification_finished_at",
    "notification_finished_by",
    "recovery_finished_at",
    "recovery_finished_by",
    "closed_at",
    "closed_by",
]
CLOCKS = ["notification_due_at", "notification_countdown", "phase_clock", "keep_until"]
NOTICES = ["anpd_notified_at", "subjects_notified_at", "tenants_notified_at"]


def _staff(request: HttpRequest) -> str:
    return str(request.user.get_username())


def _local(moment: Any) -> str:
    return f"{moment.astimezone(deadlines.BRAZIL):%d/%m/%Y %H:%M}" if moment else "-"


class NoDeleteAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class AffectedTenantInline(admin.TabularInline):  # type: ignore[type-arg]
    model = AffectedTenant
    extra = 0
    raw_id_fields = ["tenant"]
    fields = ["tenant", "tenant_name", "tenant_slug", "subjects_count"]
    readonly_fields = ["tenant_name", "tenant_slug"]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(BreachCase)
class BreachCaseAdmin(NoDeleteAdmin):
    list_display = [
        "__str__",
        "severity",
        "status",
        "awareness",
        "notify_by",
        "notification_countdown",
        "phase_clock",
    ]
    list_filter = ["status", "severity", "is_drill", "notification_required"]
    search_fields = ["title", "description", "anpd_protocol"]
    date_hierarchy = "awareness_at"
    inlines = [AffectedTenantInline]
    actions = ["advance_phase", "record_notification", "download_register"]

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return [(None, {"fields": [*OPENING_FIELDS, "severity"]})]
        return [
            (
                None,
                {"fields": ["title", "description", "severity", "status", "is_drill", "drafts"]},
            ),
            ("Clock", {"fields": ["awareness_at", "detected_by", "detection_method", *CLOCKS]}),
            (
                "1. Containment (0-1 h)",
                {
                    "fields": [
                        "containment_started_at",
                        "containment_started_by",
                        "affected_systems",
                        "containment_actions",
                        "evidence_location",
                        "containment_finished_at",
                        "containment_finished_by",
                    ]
                },
            ),
            (
                "2. Assessment (1-4 h): scope, data, impact, decision to notify",
                {
                    "fields": [
                        "timeline",
                        "data_nature",
                        "subject_categories",
                        "subjects_count",
                        "security_measures",
                        "data_unintelligible",
                        "risks",
                        "notification_required",
                        "assessment_finished_at",
                        "assessment_finished_by",
                    ]
                },
            ),
            (
                "3. Notification (4-24 h; legal limit 3 business days): Art. 48 §1 content",
                {
                    "fields": [
                        "mitigation_measures",
                        "delay_reasons",
                        "anpd_protocol",
                        "subjects_notice_channel",
                        "not_notified_reason",
                        *NOTICES,
                        "notification_finished_at",
                        "notification_finished_by",
                    ]
                },
            ),
            (
                "4. Recovery (24-72 h)",
                {
                    "fields": [
                        "recovery_actions",
                        "lessons_learned",
                        "recovery_finished_at",
                        "recovery_finished_by",
                        "closed_at",
                        "closed_by",
                    ]
                },
            ),
        ]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return []
        fixed = ["status", "is_drill", "drafts", *CLOCKS, *PHASE_STEPS, *NOTICES]
        if obj.status != Phase.CONTAINMENT:
            fixed.append("awareness_at")  # the clock is settled once containment is over
        return fixed

    def get_inlines(self, request: HttpRequest, obj: Any = None) -> Any:
        return self.inlines if obj is not None else []

    def save_model(self, request: HttpRequest, obj: BreachCase, form: Any, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        case = breach_open(
            title=obj.title,
            description=obj.description,
            awareness_at=obj.awareness_at,
            detected_by=obj.detected_by,
            detection_method=obj.detection_method,
            severity=Severity(obj.severity),
            by=_staff(request),
        )
        obj.pk = case.pk
        obj._state.adding = False
        obj.refresh_from_db()

    @admin.display(description="Awareness (Brasília)", ordering="awareness_at")
    def awareness(self, obj: BreachCase) -> str:
        return _local(obj.awareness_at)

    @admin.display(description="Notify ANPD by", ordering="notification_due_at")
    def notify_by(self, obj: BreachCase) -> str:
        return _local(obj.notification_due_at)

    @admin.display(description="ANPD / subjects deadline")
    def notification_countdown(self, obj: BreachCase) -> str:
        if obj.anpd_notified_at is not None:
            on_time = obj.anpd_notified_at <= obj.notification_due_at
            return f"notified {_local(obj.anpd_notified_at)}" + ("" if on_time else " (late)")
        if obj.notification_required is False:
            return "not required"
        return deadlines.countdown(now=timezone.now(), deadline=obj.notification_due_at)

    @admin.display(description="Phase target")
    def phase_clock(self, obj: BreachCase) -> str:
        due = obj.phase_deadlines.get(obj.status)
        if due is None:
            return "-"
        return f"{obj.status}: " + deadlines.hours_countdown(now=timezone.now(), deadline=due)

    @admin.display(description="Notice drafts")
    def drafts(self, obj: BreachCase) -> str:
        url = reverse("admin:breaches_breachcase_drafts", args=[obj.pk])
        return format_html('<a href="{}">View the notice drafts</a>', url)

    def get_urls(self) -> list[URLPattern]:
        own = [
            path(
                "<int:pk>/drafts/",
                self.admin_site.admin_view(self.drafts_view),
                name="breaches_breachcase_drafts",
            )
        ]
        return own + super().get_urls()

    def drafts_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        case = get_object_or_404(BreachCase, pk=pk)
        if not self.has_view_permission(request, case):
            raise PermissionDenied
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "case": case,
            "title": f"Notice drafts: {case}",
            "drafts": breach_notice_drafts(case=case).all(),
            "missing": case.missing_art48_fields(at=timezone.now()),
            "deadline": _local(case.notification_due_at),
        }
        return TemplateResponse(request, "admin/breaches/breachcase/drafts.html", context)

    @admin.action(description="Advance the selected cases to their next phase")
    def advance_phase(self, request: HttpRequest, queryset: QuerySet[BreachCase]) -> None:
        for case in queryset:
            target = breach_next_phase(case)
            if target is None:
                self.message_user(request, f"{case}: already closed.", messages.WARNING)
                continue
            try:
                breach_advance(case=case, phase=target, by=_staff(request))
            except BreachError as exc:
                self.message_user(request, f"{case}: {exc.message}", messages.ERROR)
            else:
                self.message_user(request, f"{case}: now in {target}.")

    @admin.action(description="Record the notification to the ANPD, subjects and stores (now)")
    def record_notification(self, request: HttpRequest, queryset: QuerySet[BreachCase]) -> None:
        for case in queryset:
            try:
                breach_record_notification(
                    case=case,
                    by=_staff(request),
                    anpd_protocol=case.anpd_protocol,
                    subjects_channel=case.subjects_notice_channel,
                )
            except BreachError as exc:
                self.message_user(request, f"{case}: {exc.message}", messages.ERROR)
            else:
                self.message_user(request, f"{case}: notification recorded.")

    @admin.action(description="Download the incident register (CSV, all real cases)")
    def download_register(
        self, request: HttpRequest, queryset: QuerySet[BreachCase]
    ) -> HttpResponse:
        response = HttpResponse(breach_register(fmt="csv"), content_type="text/csv")
        name = f"breach-register-{timezone.localdate():%Y-%m-%d}.csv"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response


@admin.register(BreachDrill)
class BreachDrillAdmin(ReadOnlyAdmin):
    list_display = ["started_at", "outcome", "run_by", "duration_ms", "case"]
    list_filter = ["outcome"]
    list_select_related = ["case"]


@admin.register(BreachAlert)
class BreachAlertAdmin(ReadOnlyAdmin):
    list_display = ["case", "deadline", "threshold", "due_at", "sent_at"]
    list_filter = ["deadline", "threshold"]
    list_select_related = ["case"]
