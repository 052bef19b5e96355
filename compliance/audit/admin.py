"""Staff view of the audit log (public host): read-only for everyone, superusers included."""

from __future__ import annotations

from django.contrib import admin

from compliance.audit.models import AuditEvent
from core.admin_paging import EstimatedCountAdminMixin
from core.admin_readonly import ReadOnlyAdminMixin


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdminMixin, EstimatedCountAdminMixin, admin.ModelAdmin[AuditEvent]):
    list_display = [
        "occurred_at",
        "action",
        "actor_kind",
        "actor_email",
        "tenant_schema",
        "object_type",
        "object_id",
        "ip_address",
    ]
    # A date filter, not date_hierarchy: its year and month links are DISTINCT over every row.
    list_filter = ["action", "actor_kind", ("occurred_at", admin.DateFieldListFilter)]
    search_fields = ["actor_email", "tenant_schema", "=ip_address", "object_id"]
    list_per_page = 100
    readonly_fields = [field.name for field in AuditEvent._meta.fields]
