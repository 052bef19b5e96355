"""Staff views of data-subject requests: deadlines first, export and erasure as actions."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.options import InlineModelAdmin
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.forms import ModelForm
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from compliance.attestations import ATTESTABLE, attestation_record
from compliance.dsr.answers import dsr_erase, dsr_export, erasure_confirmations_sent
from compliance.dsr.exports import export_link_token
from compliance.dsr.forms import StaffBuyerRequestForm, VerificationForm
from compliance.dsr.requests import (
    dsr_clock,
    dsr_file,
    dsr_mark_answered,
    dsr_verify,
)
from compliance.errors import ComplianceError
from compliance.models import (
    OPEN_STATUSES,
    ChecklistAttestation,
    ComplianceReport,
    ConfirmationState,
    DataProtectionOfficer,
    DataSubjectRequest,
    ErasedSubject,
    ErasureStep,
    IdentityState,
    RequestKind,
    VerificationMethod,
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
    """Requests by deadline. Adding one files a buyer's request through ``dsr_file`` (the clock
    starts from the date received); export and erasure wait for the identity to be verified."""

    list_display = [
        "received_at",
        "tenant",
        "scope",
        "kind",
        "subject",
        "identity",
        "status",
        "deadline",
        "confirmation",
    ]
    list_filter = ["status", "kind", "scope", "identity", "confirmation_state"]
    list_select_related = ["tenant"]
    search_fields = ["subject_email", "=subject_ml_user_id", "tenant__schema_name"]
    readonly_fields = [
        "tenant",
        "scope",
        "kind",
        "subject_email",
        "subject_ml_user_id",
        "contact_email",
        "channel",
        "filed_by",
        "received_at",
        "simplified_answer_at",
        "due_at",
        "identity_check",
        "completed_at",
        "export_path",
        "download_link",
        "export_withdrawn_at",
        "confirmation",
        "confirmation_text",
    ]
    fields = [*readonly_fields, "status", "outcome", "handled_by"]
    inlines = [ErasureStepInline]
    actions = ["export_data", "erase_data", "mark_completed", "mark_confirmation_sent"]

    @admin.display(description="Subject")
    def subject(self, obj: DataSubjectRequest) -> str:
        return obj.subject_email or f"ML {obj.subject_ml_user_id}"

    @admin.display(description="Deadline", ordering="due_at")
    def deadline(self, obj: DataSubjectRequest) -> str:
        if obj.status not in OPEN_STATUSES:
            if obj.completed_at is None:
                return "—"
            return f"answered {timezone.localtime(obj.completed_at, obj.tenant.time_zone):%d/%m/%Y}"
        clock = dsr_clock(request=obj)
        return f"{clock} (due {clock.due_on:%d/%m/%Y})"

    @admin.display(description="Erasure confirmation")
    def confirmation(self, obj: DataSubjectRequest) -> str:
        if obj.confirmation_state == ConfirmationState.PENDING:
            if obj.confirmation_to:
                return f"pending: e-mail to {obj.confirmation_to} not sent yet"
            return f"pending: to be sent by {obj.channel}"
        if obj.confirmation_state == ConfirmationState.SENT and obj.confirmation_sent_at:
            return f"sent {obj.confirmation_sent_at:%d/%m/%Y %H:%M} to {obj.confirmation_to}"
        return "—"

    @admin.display(description="Identity")
    def identity_check(self, obj: DataSubjectRequest) -> str:
        if obj.identity == IdentityState.VERIFIED and obj.verified_at:
            return (
                f"verified {obj.verified_at:%d/%m/%Y %H:%M} by {obj.verified_by} "
                f"({obj.get_verification_method_display()}) {obj.verification_note}"
            ).strip()
        url = reverse("admin:compliance_datasubjectrequest_verify", args=[obj.pk])
        return format_html(
            '{} · <a href="{}" id="verify-identity">{}</a>',
            obj.get_identity_display(),
            url,
            "Record the verification",
        )

    @admin.display(description="Download link")
    def download_link(self, obj: DataSubjectRequest) -> str:
        if obj.export_withdrawn_at:
            return "withdrawn after the subject's erasure"
        if not obj.export_path:
            return "—"
        url = store_url(
            obj.tenant.schema_name, f"/privacy/exports/{export_link_token(request=obj)}"
        )
        return format_html('<a href="{}">{}</a>', url, "signed link (expires)")

    def get_inlines(self, request: HttpRequest, obj: Any) -> list[type[InlineModelAdmin]]:  # type: ignore[type-arg]
        return list(self.inlines) if obj is not None else []

    def get_urls(self) -> list[URLPattern]:
        return [
            path(
                "<int:object_id>/verify/",
                self.admin_site.admin_view(self.verify_view),
                name="compliance_datasubjectrequest_verify",
            ),
            *super().get_urls(),
        ]

    def _form_page(self, request: HttpRequest, **context: Any) -> HttpResponse:
        return TemplateResponse(
            request,
            "admin/compliance/datasubjectrequest/form_page.html",
            {**self.admin_site.each_context(request), "opts": self.opts, **context},
        )

    def add_view(
        self, request: HttpRequest, form_url: str = "", extra_context: Any = None
    ) -> HttpResponse:
        """File a buyer's request: the same service the store's managers use."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = StaffBuyerRequestForm(request.POST if request.method == "POST" else None)
        if request.method == "POST" and form.is_valid():
            try:
                opened = dsr_file(
                    tenant=form.cleaned_data["tenant"],
                    by=_staff(request),
                    http_request=request,
                    **form.filed(),
                )
            except ComplianceError as exc:
                form.add_error(None, exc.message)
            else:
                dsr = opened.request
                if opened.created:
                    # The filing is audited by the service; django_admin_log would copy the
                    # subject's id into object_repr, which erasure does not reach.
                    due = dsr_clock(request=dsr).due_on
                    self.message_user(request, f"{dsr}: filed; answer due {due:%d/%m/%Y}.")
                else:
                    self.message_user(
                        request,
                        f"{dsr}: already open (received "
                        f"{dsr_clock(request=dsr).received_on:%d/%m/%Y}); "
                        "nothing new was filed.",
                        messages.WARNING,
                    )
                return redirect("admin:compliance_datasubjectrequest_change", dsr.pk)
        return self._form_page(
            request,
            title="File a buyer's request",
            form=form,
            submit_label="File the request",
            intro=(
                "A buyer asked the store or Peepers about their data. The legal clock starts "
                "on the date received (15 days, 30 for a small agent); nothing is disclosed "
                "or erased before their identity is verified."
            ),
        )

    def verify_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        dsr = self.get_object(request, str(object_id))
        if dsr is None:
            raise Http404
        if not self.has_change_permission(request, dsr):
            raise PermissionDenied
        form = VerificationForm(request.POST if request.method == "POST" else None)
        if request.method == "POST" and form.is_valid():
            try:
                dsr_verify(
                    request=dsr,
                    by=_staff(request),
                    method=VerificationMethod(form.cleaned_data["method"]),
                    note=form.cleaned_data["note"],
                    http_request=request,
                )
            except ComplianceError as exc:
                form.add_error(None, exc.message)
            else:
                self.message_user(request, f"{dsr}: identity verified.")
                return redirect("admin:compliance_datasubjectrequest_change", dsr.pk)
        return self._form_page(
            request,
            title=f"Verify the identity: {dsr}",
            form=form,
            submit_label="Record the verification",
            intro=f"Filed by {dsr.filed_by or 'the subject'} via {dsr.channel}.",
        )

    @admin.action(
        description="Export the subject's data (access / portability; identity verified)",
        permissions=["change"],
    )
    def export_data(self, request: HttpRequest, queryset: QuerySet[DataSubjectRequest]) -> None:
        staff = _staff(request)
        for dsr in queryset.select_related("tenant"):
            try:
                done = dsr_export(request=dsr, by=staff)
            except ComplianceError as exc:
                self.message_user(request, exc.message, messages.ERROR)
                continue
            rows = sum(m["rows"] for m in done.manifest["models"])
            if not done.manifest["found"]:
                self.message_user(
                    request,
                    f"{dsr}: Peepers holds no data about this subject in this store; the export "
                    "says so and can be sent as the answer.",
                    messages.WARNING,
                )
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
            try:
                changed = dsr_erase(request=dsr, by=staff)
            except ComplianceError as exc:
                self.message_user(request, f"{dsr}: not erased: {exc.message}", messages.ERROR)
                continue
            dsr.refresh_from_db()
            self.message_user(
                request, f"{dsr}: erased ({changed}); confirmation: {self.confirmation(dsr)}."
            )

    @admin.action(description="Mark answered", permissions=["change"])
    def mark_completed(self, request: HttpRequest, queryset: QuerySet[DataSubjectRequest]) -> None:
        count = dsr_mark_answered(requests=queryset, by=_staff(request))
        self.message_user(request, f"{count} request(s) marked answered.")

    @admin.action(
        description="Mark the erasure confirmation sent (through the request's channel)",
        permissions=["change"],
    )
    def mark_confirmation_sent(
        self, request: HttpRequest, queryset: QuerySet[DataSubjectRequest]
    ) -> None:
        count = erasure_confirmations_sent(requests=queryset, by=_staff(request))
        self.message_user(request, f"{count} confirmation(s) recorded as sent.")


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
