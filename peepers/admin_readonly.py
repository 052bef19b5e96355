"""Admin pages over records that change only through their services: listed and viewed by
staff, never added, edited or deleted from the admin (superusers included)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest


class ReadOnlyAdminMixin:
    """Refuses add, change and delete; mix it in before ``ModelAdmin`` or an inline.

    An admin whose list actions need the change permission asks past it:
    ``super(ReadOnlyAdminMixin, self).has_change_permission(request, obj)``.
    """

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ReadOnlyAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):  # type: ignore[type-arg]
    """A ``ModelAdmin`` that only lists and shows."""
