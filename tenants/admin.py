"""Staff admin for stores (public host)."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from tenants.errors import TenantError
from tenants.models import Domain, SignupAgreement, Tenant, TenantStatus
from tenants.services import tenant_set_status


class DomainInline(admin.TabularInline[Domain, Tenant]):
    model = Domain
    extra = 0


class SignupAgreementInline(admin.TabularInline[SignupAgreement, Tenant]):
    model = SignupAgreement
    extra = 0
    can_delete = False
    readonly_fields = [
        "email",
        "terms_version",
        "privacy_notice_version",
        "accepted_at",
        "ip_address",
        "user_agent",
        "channel",
    ]

    def has_add_permission(self, request: HttpRequest, obj: Tenant | None = None) -> bool:
        return False


def _set_status(
    request: HttpRequest, queryset: QuerySet[Tenant], status: TenantStatus, verb: str
) -> None:
    done = 0
    for tenant in queryset.exclude(schema_name="public"):
        try:
            tenant_set_status(tenant=tenant, status=status)
            done += 1
        except TenantError as exc:
            messages.error(request, f"{tenant}: {exc.message}")
    messages.success(request, f"{verb} {done} store(s).")


@admin.register(Tenant)
class TenantAdmin(admin.ModelAdmin[Tenant]):
    list_display = ["name", "schema_name", "status", "plan_code", "owner_email", "created_at"]
    list_filter = ["status", "plan_code"]
    search_fields = ["name", "schema_name", "owner_email", "=public_id", "=ml_user_id"]
    readonly_fields = ["public_id", "schema_name", "created_at", "updated_at", "status"]
    fields = [
        "public_id",
        "name",
        "schema_name",
        "status",
        "plan_code",
        "owner_email",
        "ml_user_id",
        "created_at",
        "updated_at",
    ]
    inlines = [DomainInline, SignupAgreementInline]
    actions = ["suspend", "reactivate", "close"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        # New stores come from signup or `create_tenant`, which provision the schema.
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Tenant | None = None) -> bool:
        return False

    @admin.action(description="Suspend selected stores (403 page, data kept)")
    def suspend(self, request: HttpRequest, queryset: QuerySet[Tenant]) -> None:
        _set_status(request, queryset, TenantStatus.SUSPENDED, "Suspended")

    @admin.action(description="Reactivate selected stores")
    def reactivate(self, request: HttpRequest, queryset: QuerySet[Tenant]) -> None:
        _set_status(request, queryset, TenantStatus.ACTIVE, "Reactivated")

    @admin.action(description="Close selected stores (410 page, data kept)")
    def close(self, request: HttpRequest, queryset: QuerySet[Tenant]) -> None:
        _set_status(request, queryset, TenantStatus.CLOSED, "Closed")
