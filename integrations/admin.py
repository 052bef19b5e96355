"""Staff views of Mercado Livre connections (public host). No token or verifier is shown."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from integrations.models import MLAuthorization, MLConnection


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
