"""Admin pages over records that change only through their services: listed and viewed by
staff, never added, edited or deleted from the admin (superusers included)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest


class ReadOnlyAdminMixin:
    """Refuses add, change and delete; mix it in before ``ModelAdmin`` or an inline.

    An admin whose list actions go through services (sync, replay, refund) sets
    ``list_actions_need_change = True``: its list then asks Django's change permission, so
    the actions show to staff who hold it, and each record still opens read-only.
    """

    list_actions_need_change = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if self.list_actions_need_change and obj is None:
            return bool(super().has_change_permission(request, obj))  # type: ignore[misc]
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ReadOnlyAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):  # type: ignore[type-arg]
    """A ``ModelAdmin`` that only lists and shows."""
