"""Staff admin for stores (public host): the list, the store page and the status actions.

Tenants knows none of the feature apps, so billing, integrations and compliance add what they
know about a store from their own ``admin.py``: a list column with its filter
(``store_list_column``: one annotated subquery, so a page costs the same queries whatever its
size), a section of the store page (``store_page_section``), and the offboarding a close may
start at once (``store_offboarding_set``).
"""

from __future__ import annotations

import contextlib
import functools
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.db.models import Q, QuerySet
from django.db.models.expressions import BaseExpression
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django_tenants.utils import get_public_schema_name

from core.admin_paging import EstimatedCountAdminMixin
from tenants.errors import TenantError
from tenants.models import Domain, SignupAgreement, Tenant, TenantStatus
from tenants.plans import plan_catalogue
from tenants.services import tenant_set_status


@dataclass(frozen=True)
class StoreListColumn:
    """A column of the store list: ``annotation`` is evaluated per row by the database."""

    name: str
    description: str
    annotation: Callable[[], BaseExpression]
    render: Callable[[Any], str]
    list_filter: type[admin.SimpleListFilter] | None = None


StorePageSection = Callable[[Tenant], SafeString]
# ``offboard(tenant, staff_email)``: None when done, else why not.
Offboarding = Callable[[Tenant, str], str | None]

_COLUMNS: dict[str, StoreListColumn] = {}
_SECTIONS: dict[str, StorePageSection] = {}
_OFFBOARDING: list[Offboarding] = []


def store_list_column(column: StoreListColumn) -> None:
    _COLUMNS[column.name] = column


def store_page_section(title: str) -> Callable[[StorePageSection], StorePageSection]:
    def register(func: StorePageSection) -> StorePageSection:
        _SECTIONS[title] = func
        return func

    return register


def store_offboarding_set(offboard: Offboarding) -> None:
    """What "close and offboard now" runs for each store it closed."""
    _OFFBOARDING[:] = [offboard]


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


class PlanFilter(admin.SimpleListFilter):
    title = "plan"
    parameter_name = "plan_code"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [(plan.code, plan.name) for plan in plan_catalogue()]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        value = self.value()
        return queryset.filter(plan_code=value) if value else queryset


def _staff_email(request: HttpRequest) -> str:
    return str(getattr(request.user, "email", "") or request.user.get_username())


@functools.cache  # one function per column: admin tells sortable columns apart by identity
def _column_display(column: StoreListColumn) -> Callable[[Tenant], str]:
    @admin.display(description=column.description, ordering=column.name)
    def display(obj: Tenant) -> str:
        return column.render(getattr(obj, column.name, None))

    display.__name__ = column.name
    return display


@admin.register(Tenant)
class TenantAdmin(EstimatedCountAdminMixin, admin.ModelAdmin[Tenant]):
    list_display_links = ["name"]
    search_fields = ["name", "schema_name", "owner_email"]
    search_help_text = "Name, slug or owner e-mail (part of it), a store UUID or an ML user id."
    readonly_fields = [
        "public_id",
        "schema_name",
        "created_at",
        "updated_at",
        "status",
        "overview",
    ]
    fields = [
        "public_id",
        "name",
        "schema_name",
        "status",
        "plan_code",
        "owner_email",
        "ml_user_id",
        "is_small_agent",
        "created_at",
        "updated_at",
        "overview",
    ]
    ordering = ["name", "pk"]
    list_per_page = 100
    inlines = [DomainInline, SignupAgreementInline]
    actions = ["suspend", "reactivate", "close"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Tenant]:
        annotations = {name: column.annotation() for name, column in _COLUMNS.items()}
        return super().get_queryset(request).annotate(**annotations)

    def get_list_display(self, request: HttpRequest) -> list[Any]:
        columns = [_column_display(column) for column in _COLUMNS.values()]
        return ["name", "schema_name", "status", "plan_code", *columns, "owner_email", "created_at"]

    def get_list_filter(self, request: HttpRequest) -> list[Any]:
        extra = [c.list_filter for c in _COLUMNS.values() if c.list_filter is not None]
        return ["status", PlanFilter, *extra]

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Tenant], search_term: str
    ) -> tuple[QuerySet[Tenant], bool]:
        found, duplicates = super().get_search_results(request, queryset, search_term)
        term = search_term.strip()
        if not term:
            return found, duplicates
        exact = Q(pk__in=[])
        with contextlib.suppress(ValueError):
            exact |= Q(public_id=uuid.UUID(term))
        if term.isdigit() and len(term) < 19:
            exact |= Q(ml_user_id=int(term))
        return found | queryset.filter(exact), duplicates

    def has_add_permission(self, request: HttpRequest) -> bool:
        # New stores come from signup or `create_tenant`, which provision the schema.
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Tenant | None = None) -> bool:
        return False

    @admin.display(description="Subscription, plan and Mercado Livre")
    def overview(self, obj: Tenant) -> SafeString:
        if obj.pk is None or obj.is_public:
            return format_html("{}", "—")
        return format_html_join(
            "",
            "<h3>{}</h3>{}",
            ((title, section(obj)) for title, section in _SECTIONS.items()),
        )

    def _set_status(
        self, request: HttpRequest, queryset: QuerySet[Tenant], status: TenantStatus
    ) -> list[Tenant]:
        changed = []
        if queryset.filter(schema_name=get_public_schema_name()).exists():
            self.message_user(request, "The public tenant was left as it is.", messages.WARNING)
        for tenant in queryset.exclude(schema_name=get_public_schema_name()):
            try:
                tenant = tenant_set_status(tenant=tenant, status=status)
            except TenantError as exc:
                self.message_user(request, f"{tenant}: {exc.message}", messages.ERROR)
                continue
            self.log_change(request, tenant, f"Status set to {status} from the store list.")
            changed.append(tenant)
        return changed

    @admin.action(description="Suspend selected stores (403 page, data kept)")
    def suspend(self, request: HttpRequest, queryset: QuerySet[Tenant]) -> None:
        done = self._set_status(request, queryset, TenantStatus.SUSPENDED)
        self.message_user(request, f"Suspended {len(done)} store(s).")

    @admin.action(description="Reactivate selected stores")
    def reactivate(self, request: HttpRequest, queryset: QuerySet[Tenant]) -> None:
        done = self._set_status(request, queryset, TenantStatus.ACTIVE)
        self.message_user(request, f"Reactivated {len(done)} store(s).")

    @admin.action(description="Close selected stores (410 page, billing stops; confirm next)")
    def close(self, request: HttpRequest, queryset: QuerySet[Tenant]) -> HttpResponse | None:
        stores = list(queryset.exclude(schema_name=get_public_schema_name()))
        if request.POST.get("confirmed") != "yes":
            context = {
                **self.admin_site.each_context(request),
                "title": "Close stores?",
                "opts": self.model._meta,
                "stores": stores,
                "selected": request.POST.getlist(ACTION_CHECKBOX_NAME),
                "action_checkbox_name": ACTION_CHECKBOX_NAME,
                "can_offboard": bool(_OFFBOARDING),
            }
            return TemplateResponse(
                request, "admin/tenants/tenant/close_confirmation.html", context
            )
        closed = self._set_status(
            request, queryset.filter(pk__in=[s.pk for s in stores]), TenantStatus.CLOSED
        )
        self.message_user(request, f"Closed {len(closed)} store(s).")
        if request.POST.get("offboard") == "yes" and _OFFBOARDING:
            for tenant in closed:
                self._offboard(request, tenant)
        return None

    def _offboard(self, request: HttpRequest, tenant: Tenant) -> None:
        error = _OFFBOARDING[0](tenant, _staff_email(request))
        if error:
            self.message_user(request, f"{tenant}: not offboarded: {error}", messages.ERROR)
            return
        self.log_change(request, tenant, "Offboarded from the store list.")
        self.message_user(request, f"{tenant.schema_name}: offboarded.")
