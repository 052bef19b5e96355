"""Staff views of retention: policies editable, runs read-only with their reports."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html

from compliance.retention.models import (
    RetentionCategory,
    RetentionPolicy,
    RetentionRun,
    StoreOffboarding,
)
from compliance.retention.offboarding import store_offboard
from compliance.retention.services import retention_run
from core.admin_readonly import ReadOnlyAdmin
from core.errors import DomainError
from tenants.admin import store_offboarding_set
from tenants.models import Tenant


@admin.register(RetentionPolicy)
class RetentionPolicyAdmin(admin.ModelAdmin[RetentionPolicy]):
    list_display = ["category", "keep_days", "active", "updated_at"]
    list_editable = ["keep_days", "active"]
    fields = ["category", "keep_days", "active", "legal_basis", "updated_at"]
    readonly_fields = ["category", "updated_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # one row per category the code enforces, seeded by migration

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # switch a policy off with "active" instead


def _pretty(value: Any) -> str:
    return format_html("<pre>{}</pre>", json.dumps(value, indent=2, ensure_ascii=False))


@admin.register(RetentionRun)
class RetentionRunAdmin(ReadOnlyAdmin):
    list_display = ["started_at", "dry_run", "status", "removed", "origin", "finished_at"]
    list_filter = ["status", "dry_run"]
    readonly_fields = [
        "as_of",
        "started_at",
        "finished_at",
        "dry_run",
        "status",
        "origin",
        "categories",
        "report",
        "outcome_list",
        "error_list",
    ]
    exclude = ["counts", "outcomes", "errors"]
    actions = ["run_now", "dry_run_now", "offboard_closed_stores"]

    @admin.display(description="Removed")
    def removed(self, obj: RetentionRun) -> int:
        return sum(n for per_store in obj.counts.values() for n in per_store.values())

    @admin.display(description="Removed per category and store")
    def report(self, obj: RetentionRun) -> str:
        return _pretty(obj.counts)

    @admin.display(description="Outcome per category")
    def outcome_list(self, obj: RetentionRun) -> str:
        return _pretty(obj.outcomes)

    @admin.display(description="Errors")
    def error_list(self, obj: RetentionRun) -> str:
        return _pretty(obj.errors)

    def _run(self, request: HttpRequest, *, dry_run: bool) -> None:
        report = retention_run(dry_run=dry_run, origin=f"admin: {request.user.get_username()}")
        verb = "would remove" if dry_run else "removed"
        self.message_user(
            request,
            f"Retention run {report.run_id} {verb} {report.total()} row(s) or file(s); "
            f"{len(report.errors)} error(s).",
            messages.WARNING if report.errors else messages.SUCCESS,
        )

    # Actions ignore the selection: a run covers every policy and store.
    @admin.action(description="Run retention now (every active policy)")
    def run_now(self, request: HttpRequest, queryset: QuerySet[RetentionRun]) -> None:
        self._run(request, dry_run=False)

    @admin.action(description="Dry run now (report only, change nothing)")
    def dry_run_now(self, request: HttpRequest, queryset: QuerySet[RetentionRun]) -> None:
        self._run(request, dry_run=True)

    @admin.action(description="Offboard closed stores past their period now")
    def offboard_closed_stores(
        self, request: HttpRequest, queryset: QuerySet[RetentionRun]
    ) -> None:
        report = retention_run(
            categories=[RetentionCategory.CLOSED_STORES],
            origin=f"admin: {request.user.get_username()}",
        )
        self.message_user(
            request,
            f"Offboarded {report.total()} store(s); {len(report.errors)} error(s).",
            messages.WARNING if report.errors else messages.SUCCESS,
        )


@admin.register(StoreOffboarding)
class StoreOffboardingAdmin(ReadOnlyAdmin):
    list_display = [
        "schema_name",
        "started_at",
        "exported_at",
        "notified_at",
        "schema_dropped_at",
        "actor",
    ]
    search_fields = ["schema_name", "=tenant_public_id"]
    readonly_fields = [
        "tenant",
        "tenant_public_id",
        "schema_name",
        "actor",
        "request",
        "export_path",
        "started_at",
        "exported_at",
        "notified_at",
        "schema_dropped_at",
    ]
    actions = ["resume"]

    @admin.action(description="Resume the selected offboardings (export, e-mail, drop)")
    def resume(self, request: HttpRequest, queryset: QuerySet[StoreOffboarding]) -> None:
        for offboarding in queryset.select_related("tenant"):
            if offboarding.tenant is None or offboarding.schema_dropped_at is not None:
                continue
            try:
                store_offboard(tenant=offboarding.tenant, by=request.user.get_username())
            except DomainError as exc:  # not closed, or a closure step's provider refused
                self.message_user(request, f"{offboarding}: {exc.message}", messages.ERROR)
            else:
                self.message_user(request, f"{offboarding.schema_name}: offboarded.")


def _offboard_now(tenant: Tenant, by: str) -> str | None:
    try:
        store_offboard(tenant=tenant, by=by)
    except DomainError as exc:  # a closure step's provider (Stripe) may be down: resume later
        return f"{exc.message} (resume it from Store offboardings)"
    return None


store_offboarding_set(_offboard_now)
