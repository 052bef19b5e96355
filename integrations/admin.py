"""Staff views of Mercado Livre connections (public host). No token or verifier is shown."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from integrations.mercadolivre.inbox import notifications_replay
from integrations.models import MLAuthorization, MLConnection, MLNotification, NotificationStatus


@admin.register(MLConnection)
class MLConnectionAdmin(admin.ModelAdmin[MLConnection]):
    list_display = ["ml_user_id", "nickname", "tenant", "status", "connected_at", "updated_at"]
    list_filter = ["status"]
    search_fields = ["=ml_user_id", "nickname", "tenant__schema_name", "tenant__name"]
    readonly_fields = ["ml_user_id", "tenant", "nickname", "status", "connected_at", "updated_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(MLAuthorization)
class MLAuthorizationAdmin(admin.ModelAdmin[MLAuthorization]):
    """Connect attempts: the OAuth flow's success rate and why attempts failed."""

    list_display = ["created_at", "tenant", "started_by", "outcome", "ml_user_id", "error"]
    list_filter = ["outcome"]
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


@admin.register(MLNotification)
class MLNotificationAdmin(admin.ModelAdmin[MLNotification]):
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
    list_filter = ["status", "topic", "source"]
    search_fields = ["resource", "=ml_user_id", "dedup_key", "tenant__schema_name"]
    date_hierarchy = "arrived_at"
    readonly_fields = [field.name for field in MLNotification._meta.fields]
    actions = ["replay"]

    @admin.display(description="error")
    def short_error(self, obj: MLNotification) -> str:
        return obj.last_error[:80]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(
        self, request: HttpRequest, obj: MLNotification | None = None
    ) -> bool:
        return False

    @admin.action(description="Replay selected dead or orphaned notifications")
    def replay(self, request: HttpRequest, queryset: QuerySet[MLNotification]) -> None:
        count = notifications_replay(
            ids=list(queryset.values_list("pk", flat=True)),
            statuses=(NotificationStatus.DEAD, NotificationStatus.ORPHANED),
        )
        skipped = queryset.count() - count
        messages.success(request, f"Replaying {count} notification(s).")
        if skipped:
            messages.warning(
                request, f"{skipped} were neither dead nor orphaned and were left alone."
            )
