"""Staff views of data-subject requests: deadlines first, export and erasure as actions."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.forms import ModelForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import URLPattern, path
from django.utils.html import format_html, format_html_join

from compliance.attestations import ATTESTABLE, attestation_record
from compliance.dsr.erasure import subject_erase
from compliance.dsr.exports import export_link_token, subject_export
from compliance.dsr.requests import (
    days_left,
    dsr_erasure_complete,
    dsr_mark_answered,
    dsr_start,
)
from compliance.models import (
    OPEN_STATUSES,
    ChecklistAttestation,
    ComplianceReport,
    DataProtectionOfficer,
    DataSubjectRequest,
    ErasedSubject,
    ErasureStep,
    IdentityState,
    RequestKind,
)
from compliance.reports import compliance_report_create
from core.admin_readonly import ReadOnlyAdmin
from tenants.services import store_url
from users.models import User


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

    @admin.action(
        description="Export the subject's data (access / portability)",
        permissions=["change"],
    )
    def export_data(self, request: HttpRequest, queryset: QuerySet[DataSubjectRequest]) -> None:
        staff = _staff(request)
        for dsr in queryset.select_related("tenant"):
            done = subject_export(request=dsr)
            rows = sum(m["rows"] for m in done.manifest["models"])
            if not done.manifest["found"]:
                self.message_user(
                    request,
                    f"{dsr}: Peepers holds no data about this subject in this store; the export "
                    "says so and can be sent as the answer.",
                    messages.WARNING,
                )
            dsr_start(request=dsr, by=staff)
            self.message_user(request, f"{dsr}: export ready ({rows} rows); link on the request.")

    @admin.action(
        description="Erase the subject's data (identity must be verified)",
        permissions=["change"],
    )
    def erase_data(self, request: HttpRequest, queryset: QuerySet[DataSubjectRequest]) -> None:
        staff = _staff(request)
        for dsr in queryset.select_related("tenant"):
            if dsr.kind != RequestKind.ERASURE or dsr.identity != IdentityState.VERIFIED:
                self.message_user(
                    request,
                    f"{dsr}: only verified erasure requests can be executed.",
                    messages.ERROR,
                )
                continue
            changed = subject_erase(request=dsr)
            dsr_erasure_complete(request=dsr, by=staff, changed=changed)
            self.message_user(request, f"{dsr}: erased ({changed}).")

    @admin.action(description="Mark answered", permissions=["change"])
    def mark_completed(self, request: HttpRequest, queryset: QuerySet[DataSubjectRequest]) -> None:
        count = dsr_mark_answered(requests=queryset, by=_staff(request))
        self.message_user(request, f"{count} request(s) marked answered.")


def _staff(request: HttpRequest) -> User:
    """The signed-in staff member; the admin serves no one else."""
    if not isinstance(request.user, User):
        raise PermissionDenied
    return request.user


@admin.register(DataProtectionOfficer)
class DataProtectionOfficerAdmin(admin.ModelAdmin[DataProtectionOfficer]):
    """The encarregado published on the privacy pages; saving it again confirms it is current."""

    list_display = ["name", "email", "phone", "updated_at"]


@admin.register(ChecklistAttestation)
class ChecklistAttestationAdmin(admin.ModelAdmin[ChecklistAttestation]):
    """Manual attestations of checklist items: added here or with ``compliance_attest``, by the
    signed-in staff member, never edited (a new one supersedes the old)."""

    list_display = ["item", "attested_by", "attested_at", "valid_until"]
    list_filter = ["item"]
    fields = ["item", "statement"]

    def get_form(
        self,
        request: HttpRequest,
        obj: ChecklistAttestation | None = None,
        change: bool = False,
        **kwargs: Any,
    ) -> type[ModelForm[ChecklistAttestation]]:
        from django import forms

        base = super().get_form(request, obj, change, **kwargs)
        attester = getattr(request.user, "email", "") or ""

        class AttestationForm(base):  # type: ignore[misc, valid-type]
            item = forms.ChoiceField(
                choices=[(i, f"{i}: {spec.asks}") for i, spec in sorted(ATTESTABLE.items())]
            )

            def clean(self) -> dict[str, Any]:
                cleaned: dict[str, Any] = super().clean()
                if not attester:
                    raise forms.ValidationError(
                        "Your staff account has no e-mail: an attestation must name who made it."
                    )
                return cleaned

        return AttestationForm

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Shown, never edited, and only to staff Django's permissions let in.
        return (obj is None or request.method == "GET") and super().has_change_permission(
            request, obj
        )

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(
        self, request: HttpRequest, obj: ChecklistAttestation, form: Any, change: bool
    ) -> None:

        if change:
            return
        saved = attestation_record(
            item=obj.item, by=getattr(request.user, "email", ""), statement=obj.statement
        )
        for name in ("pk", "item", "statement", "attested_by", "attested_at", "valid_until"):
            setattr(obj, name, getattr(saved, name))


@admin.register(ComplianceReport)
class ComplianceReportAdmin(admin.ModelAdmin[ComplianceReport]):
    """The live checklists: each run's results; "Run the checklists now" makes a new one."""

    list_display = ["created_at", "created_by", "passed", "failed", "unknown"]
    readonly_fields = ["created_at", "created_by", "passed", "failed", "unknown", "checklist"]
    exclude = ["results"]
    change_list_template = "admin/compliance/compliancereport/change_list.html"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Shown, never edited, and only to staff Django's permissions let in.
        return (obj is None or request.method == "GET") and super().has_change_permission(
            request, obj
        )

    @admin.display(description="Checklist")
    def checklist(self, obj: ComplianceReport) -> str:
        rows = format_html_join(
            "",
            '<tr><td>{}</td><td>{}</td><td class="{}">{}</td><td>{}</td><td>{}</td></tr>',
            (
                (
                    r["checklist"],
                    r["item"],
                    r["outcome"],
                    r["outcome"].upper(),
                    r.get("basis", "check"),
                    r["evidence"],
                )
                for r in obj.results
            ),
        )
        return format_html("<table>{}</table>", rows)

    def get_urls(self) -> list[URLPattern]:
        return [
            path(
                "run/",
                self.admin_site.admin_view(self.run_view),
                name="compliance_compliancereport_run",
            ),
            *super().get_urls(),
        ]

    def run_view(self, request: HttpRequest) -> HttpResponse:
        if request.method != "POST":
            return redirect("admin:compliance_compliancereport_changelist")
        files = compliance_report_create(by=request.user.get_username())
        report = files.report
        self.message_user(
            request,
            f"{report.passed} passed, {report.failed} failed, {report.unknown} unknown.",
            messages.WARNING if report.failed else messages.SUCCESS,
        )
        return redirect("admin:compliance_compliancereport_change", report.pk)


@admin.register(ErasedSubject)
class ErasedSubjectAdmin(ReadOnlyAdmin):
    """The stores' suppression lists: written by erasures only, read by every ML data writer."""

    list_display = ["erased_at", "tenant", "ml_user_id", "request"]
    list_filter = ["tenant"]
    list_select_related = ["tenant", "request"]
    search_fields = ["=ml_user_id"]
