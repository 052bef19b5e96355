"""Admin: backups and restores are read-only records; "verify" re-checks backup files."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from core.admin_readonly import ReadOnlyAdmin
from operations.backups.errors import BackupError
from operations.backups.models import Backup, Restore
from operations.backups.services import backup_location, backup_verify


@admin.register(Backup)
class BackupAdmin(ReadOnlyAdmin):
    list_display = [
        "pk",
        "kind",
        "tenant_schema",
        "started_at",
        "status",
        "size_bytes",
        "stored",
        "by",
    ]
    list_filter = ["kind", "status"]
    search_fields = ["tenant_schema", "sha256_plain", "sha256_encrypted", "s3_key"]
    actions = ["verify"]

    @admin.display(description="stored")
    def stored(self, obj: Backup) -> str:
        where = backup_location(obj)
        return f"{where} (upload failed)" if obj.upload_error and not obj.s3_key else where

    @admin.action(description="Verify checksums and authentication tags")
    def verify(self, request: HttpRequest, queryset: QuerySet[Backup]) -> None:
        for backup in queryset:
            try:
                backup_verify(backup=backup)
            except BackupError as exc:
                self.message_user(request, f"backup {backup.pk}: {exc}", messages.ERROR)
            else:
                self.message_user(request, f"backup {backup.pk}: intact", messages.SUCCESS)


@admin.register(Restore)
class RestoreAdmin(ReadOnlyAdmin):
    list_display = [
        "pk",
        "backup",
        "target_database",
        "target_schema",
        "is_drill",
        "started_at",
        "outcome",
        "tables_checked",
    ]
    list_filter = ["outcome", "is_drill"]
