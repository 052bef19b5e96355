"""Staff views of Mercado Livre connections (public host). No token or verifier is shown."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import (
    Case,
    CharField,
    Count,
    Exists,
    OuterRef,
    Q,
    QuerySet,
    Value,
    When,
)
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django_tenants.utils import schema_exists, tenant_context

from core.admin_paging import EstimatedCountAdminMixin
from integrations.mercadolivre.inbox import ML_INBOX
from integrations.mercadolivre.models import SyncRun
from integrations.mercadolivre.priorities import TOPIC_PRIORITY
from integrations.models import (
    MLAuthorization,
    MLConnection,
    MLConnectionStatus,
    MLNotification,
    NotificationStatus,
)
from tenants.admin import StoreListColumn, store_list_column, store_page_section
from tenants.models import Tenant

NOT_CONNECTED = "none"
RECENT_SYNC_RUNS = 5


@admin.register(MLConnection)
class MLConnectionAdmin(admin.ModelAdmin[MLConnection]):
    list_display = [
        "ml_user_id",
        "nickname",
        "tenant",
        "status",
        "connected_at",
        "token_expires_at",
        "updated_at",
    ]
    list_filter = ["status"]
    list_select_related = ["tenant"]
    search_fields = ["=ml_user_id", "nickname", "tenant__schema_name", "tenant__name"]
    readonly_fields = [
        "ml_user_id",
        "tenant",
        "nickname",
        "status",
        "connected_at",
        "token_expires_at",
        "updated_at",
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(MLAuthorization)
class MLAuthorizationAdmin(admin.ModelAdmin[MLAuthorization]):
    """Connect attempts: the OAuth flow's success rate and why attempts failed."""

    list_display = ["created_at", "tenant", "started_by", "outcome", "ml_user_id", "error"]
    list_filter = ["outcome"]
    list_select_related = ["tenant"]
    search_fields = ["tenant__schema_name", "started_by", "=ml_user_id"]
    exclude = ["code_verifier"]
    readonly_fields = [
        "tenant",
        "started_by",
        "created_at",
        "expires_at",
        "completed_at",
        "outcome",
        "ml_user_id",
        "error",
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(
        self, request: HttpRequest, obj: MLAuthorization | None = None
    ) -> bool:
        return False


class TopicFilter(admin.SimpleListFilter):
    """The topics Peepers subscribes to (a fixed list: no ``DISTINCT`` over the whole inbox)."""

    title = "topic"
    parameter_name = "topic"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [(topic, topic) for topic in sorted(TOPIC_PRIORITY)]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        value = self.value()
        return queryset.filter(topic=value) if value else queryset


class SourceFilter(admin.SimpleListFilter):
    title = "source"
    parameter_name = "source"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("webhook", "Webhook"), ("missed_feeds", "Missed feeds (recovered)")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        value = self.value()
        return queryset.filter(source=value) if value else queryset


@admin.register(MLNotification)
class MLNotificationAdmin(EstimatedCountAdminMixin, admin.ModelAdmin[MLNotification]):
    """The webhook inbox: what ML sent, what became of it, and replay for the dead ones."""

    list_display = [
        "arrived_at",
        "topic",
        "resource",
        "ml_user_id",
        "status",
        "tries",
        "tenant",
        "short_error",
    ]
    list_filter = [
        "status",
        TopicFilter,
        ("arrived_at", admin.DateFieldListFilter),
        SourceFilter,
    ]
    list_select_related = ["tenant"]
    search_help_text = "A resource as ML sends it (/orders/2000001234), or an ML user id."
    list_per_page = 100
    readonly_fields = [field.name for field in MLNotification._meta.fields]
    actions = ["replay"]

    @admin.display(description="error")
    def short_error(self, obj: MLNotification) -> str:
        return obj.last_error[:80]

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[MLNotification], search_term: str
    ) -> tuple[QuerySet[MLNotification], bool]:
        # Exact matches only, each served by an index: the inbox is too big for LIKE '%…%'.
        term = search_term.strip()
        if not term:
            return queryset, False
        match = Q(resource=term if term.startswith("/") else f"/{term}") | Q(dedup_key=term)
        if term.isdigit() and len(term) < 19:
            match |= Q(ml_user_id=int(term))
        return queryset.filter(match), False

    def get_search_fields(self, request: HttpRequest) -> list[str]:
        return ["resource"]  # shows the search box; get_search_results does the matching

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(
        self, request: HttpRequest, obj: MLNotification | None = None
    ) -> bool:
        return False

    @admin.action(description="Replay selected dead or orphaned notifications")
    def replay(self, request: HttpRequest, queryset: QuerySet[MLNotification]) -> None:
        count = ML_INBOX.replay(
            ids=list(queryset.values_list("pk", flat=True)),
            statuses=(NotificationStatus.DEAD, NotificationStatus.ORPHANED),
        )
        skipped = queryset.count() - count
        messages.success(request, f"Replaying {count} notification(s).")
        if skipped:
            messages.warning(
                request, f"{skipped} were neither dead nor orphaned and were left alone."
            )


class MLConnectionFilter(admin.SimpleListFilter):
    title = "Mercado Livre"
    parameter_name = "ml_connection"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [
            *((str(value), str(label)) for value, label in MLConnectionStatus.choices),
            (NOT_CONNECTED, "Not connected"),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        value = self.value()
        if not value:
            return queryset
        connections = MLConnection.objects.filter(tenant=OuterRef("pk"))
        if value == NOT_CONNECTED:
            return queryset.filter(~Exists(connections))
        return queryset.filter(Exists(connections.filter(status=value)))


def _connection_state() -> Case:
    """One store may connect several ML accounts: any that needs reconnecting shows."""
    connections = MLConnection.objects.filter(tenant=OuterRef("pk"))
    return Case(
        When(
            Exists(connections.filter(status=MLConnectionStatus.NEEDS_RECONNECTION)),
            then=Value(MLConnectionStatus.NEEDS_RECONNECTION.value),
        ),
        When(Exists(connections), then=Value(MLConnectionStatus.ACTIVE.value)),
        default=None,
        output_field=CharField(),
    )


def _connection_label(value: str | None) -> str:
    return str(MLConnectionStatus(value).label) if value else "Not connected"


store_list_column(
    StoreListColumn(
        name="ml_connection_status",
        description="Mercado Livre",
        annotation=_connection_state,
        render=_connection_label,
        list_filter=MLConnectionFilter,
    )
)


def _inbox_url(tenant: Tenant, status: str = "") -> str:
    url = f"{reverse('admin:integrations_mlnotification_changelist')}?tenant__id__exact={tenant.pk}"
    return f"{url}&status__exact={status}" if status else url


def _sync_runs(tenant: Tenant) -> list[tuple[str, str, str, str]]:
    if not schema_exists(tenant.schema_name):
        return []  # offboarded: the schema and its sync history are gone
    with tenant_context(tenant):
        return [
            (
                f"{run.started_at:%Y-%m-%d %H:%M}",
                str(run.kind),
                str(run.status),
                run.error[:120] or "—",
            )
            for run in SyncRun.objects.order_by("-started_at")[:RECENT_SYNC_RUNS]
        ]


@store_page_section("Mercado Livre")
def _ml_section(tenant: Tenant) -> SafeString:
    connections = [
        (c.ml_user_id, c.nickname or "—", c.get_status_display(), f"{c.connected_at:%Y-%m-%d}")
        for c in MLConnection.objects.filter(tenant=tenant).order_by("connected_at")
    ]
    inbox = MLNotification.objects.filter(tenant=tenant).aggregate(
        total=Count("pk"),
        dead=Count("pk", filter=Q(status=NotificationStatus.DEAD)),
    )
    runs = _sync_runs(tenant)
    return format_html(
        "<table><tr><th>ML user</th><th>Nickname</th><th>Status</th><th>Since</th></tr>{}</table>"
        '<p>Webhook inbox: <a href="{}">{} notification(s)</a>, '
        '<a href="{}">{} dead</a></p>'
        "<table><tr><th>Sync started</th><th>Kind</th><th>Status</th><th>Error</th></tr>{}</table>",
        format_html_join("", "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>", connections)
        or format_html("<tr><td colspan=4>{}</td></tr>", "Not connected"),
        _inbox_url(tenant),
        inbox["total"],
        _inbox_url(tenant, NotificationStatus.DEAD),
        inbox["dead"],
        format_html_join("", "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>", runs)
        or format_html("<tr><td colspan=4>{}</td></tr>", "No sync yet"),
    )
