"""Staff views of data-subject requests: deadlines first, export and erasure as actions."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.html import format_html

from compliance.erasure import subject_erase
from compliance.exports import export_link_token, subject_export
from compliance.models import (
    OPEN_STATUSES,
    DataSubjectRequest,
    ErasureStep,
    IdentityState,
    RequestKind,
    RequestStatus,
)
from compliance.requests import days_left
from tenants.services import store_url


class ErasureStepInline(admin.TabularInline):  # type: ignore[type-arg]
    model = ErasureStep
    extra = 0
    can_delete = False
    readonly_fields = ["model_label", "action", "rows", "done_at"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(DataSubjectRequest)
class DataSubjectRequestAdmin(admin.ModelAdmin[DataSubjectRequest]):
    list_display = [
        "received_at",
        "tenant",
        "scope",
        "kind",
        "subject",
        "identity",
        "status",
        "deadline",
    ]
    list_filter = ["status", "kind", "scope", "identity"]
    list_select_related = ["tenant"]
    search_fields = ["subject_email", "=subject_ml_user_id", "tenant__schema_name"]
    readonly_fields = [
        "received_at",
        "simplified_answer_at",
        "due_at",
        "completed_at",
        "export_path",
        "download_link",
    ]
    inlines = [ErasureStepInline]
    actions = ["export_data", "erase_data", "mark_completed"]

    @admin.display(description="Subject")
    def subject(self, obj: DataSubjectRequest) -> str:
        return obj.subject_email or f"ML {obj.subject_ml_user_id}"

    @admin.display(description="Deadline", ordering="due_at")
    def deadline(self, obj: DataSubjectRequest) -> str:
        if obj.status not in OPEN_STATUSES:
            return f"answered {obj.completed_at:%d/%m/%Y}" if obj.completed_at else "—"
        left = days_left(obj)
        if left < 0:
            return f"OVERDUE by {-left} day(s) (due {obj.due_at:%d/%m/%Y})"
        return f"{left} day(s) left (due {obj.due_at:%d/%m/%Y})"

    @admin.display(description="Download link")
    def download_link(self, obj: DataSubjectRequest) -> str:
        if not obj.export_path:
            return "—"
        url = store_url(
            obj.tenant.schema_name, f"/privacy/exports/{export_link_token(request=obj)}"
        )
        return format_html('<a href="{}">{}</a>', url, "signed link (expires)")

    @admin.action(description="Export the subject's data (access / portability)")
    def export_data(self, request: HttpRequest, queryset: QuerySet[DataSubjectRequest]) -> None:
        for dsr in queryset.select_related("tenant"):
            done = subject_export(request=dsr)
            rows = sum(m["rows"] for m in done.manifest["models"])
            DataSubjectRequest.objects.filter(pk=dsr.pk, status=RequestStatus.RECEIVED).update(
                status=RequestStatus.IN_PROGRESS, handled_by=request.user.get_username()
            )
            self.message_user(request, f"{dsr}: export ready ({rows} rows); link on the request.")

    @admin.action(description="Erase the subject's data (identity must be verified)")
    def erase_data(self, request: HttpRequest, queryset: QuerySet[DataSubjectRequest]) -> None:
        for dsr in queryset.select_related("tenant"):
            if dsr.kind != RequestKind.ERASURE or dsr.identity != IdentityState.VERIFIED:
                self.message_user(
                    request,
                    f"{dsr}: only verified erasure requests can be executed.",
                    messages.ERROR,
                )
                continue
            changed = subject_erase(request=dsr)
            DataSubjectRequest.objects.filter(pk=dsr.pk).update(
                status=RequestStatus.COMPLETED,
                completed_at=timezone.now(),
                handled_by=request.user.get_username(),
                outcome=f"erased: {changed}",
            )
            self.message_user(request, f"{dsr}: erased ({changed}).")

    @admin.action(description="Mark answered")
    def mark_completed(self, request: HttpRequest, queryset: QuerySet[DataSubjectRequest]) -> None:
        count = queryset.filter(status__in=OPEN_STATUSES).update(
            status=RequestStatus.COMPLETED,
            completed_at=timezone.now(),
            handled_by=request.user.get_username(),
        )
        self.message_user(request, f"{count} request(s) marked answered.")
