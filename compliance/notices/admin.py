"""Staff edit purposes and draft notices; a published notice is read-only, a change is a new
version (the "Draft a new version" action copies one)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone

from compliance.notices.errors import NoticeError
from compliance.notices.models import Notice, Purpose
from compliance.notices.services import notice_draft_from, notice_publish


@admin.register(Purpose)
class PurposeAdmin(admin.ModelAdmin[Purpose]):
    list_display = ["name", "code", "legal_basis", "needs_consent", "active", "position"]
    list_filter = ["legal_basis", "needs_consent", "active"]
    search_fields = ["code", "name"]

    def get_readonly_fields(self, request: HttpRequest, obj: Purpose | None = None) -> Any:
        # The ledger stores the code: renaming it would orphan every consent given.
        return ["code"] if obj is not None else []

    def has_delete_permission(self, request: HttpRequest, obj: Purpose | None = None) -> bool:
        return False  # retire it (active = off); past consents still name it


@admin.register(Notice)
class NoticeAdmin(admin.ModelAdmin[Notice]):
    list_display = ["__str__", "title", "effective_at", "published", "published_at"]
    list_filter = ["kind", "published"]
    search_fields = ["version", "title"]
    filter_horizontal = ["reconsent_purposes"]
    actions = ["publish", "draft_new_version"]
    fields = [
        "kind",
        "version",
        "title",
        "effective_at",
        "body",
        "summary_of_changes",
        "reconsent_purposes",
        "published",
        "published_at",
    ]

    def get_readonly_fields(self, request: HttpRequest, obj: Notice | None = None) -> Any:
        if obj is not None and obj.published:
            return self.fields
        return ["published", "published_at"]

    def has_delete_permission(self, request: HttpRequest, obj: Notice | None = None) -> bool:
        return obj is None or not obj.published

    @admin.action(description="Publish the selected notices")
    def publish(self, request: HttpRequest, queryset: QuerySet[Notice]) -> None:
        for notice in queryset:
            try:
                notice_publish(notice=notice)
            except NoticeError as exc:
                self.message_user(request, exc.message, messages.ERROR)
            else:
                self.message_user(request, f"{notice} published.", messages.SUCCESS)

    @admin.action(description="Draft a new version from the selected notice")
    def draft_new_version(self, request: HttpRequest, queryset: QuerySet[Notice]) -> None:
        for notice in queryset:
            version = f"{timezone.localdate():%Y-%m-%d}-draft-{notice.pk}"
            try:
                draft = notice_draft_from(notice=notice, version=version)
            except NoticeError as exc:
                self.message_user(request, exc.message, messages.ERROR)
            else:
                self.message_user(request, f"{draft} drafted; edit and publish it.")
