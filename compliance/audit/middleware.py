"""Binds each request for the audit log's signal receivers, and records staff opening admin
pages that show a store's data (``staff_access``).

Goes after ``AuthenticationMiddleware``. Outside the admin it costs a context variable and a
string comparison.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.urls import reverse

from compliance.audit.services import audit_request_bound
from compliance.audit.staff_access import admin_view_name, admin_view_record, is_staff_request


@functools.cache
def _admin_prefix() -> str:
    return reverse("admin:index", urlconf=settings.PUBLIC_SCHEMA_URLCONF)


class StaffTenantAccessMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with audit_request_bound(request):
            response = self.get_response(request)
        if (
            request.method == "GET"
            and response.status_code == 200
            and request.path.startswith(_admin_prefix())
            and is_staff_request(request)
        ):
            self._record(request)
        return response

    @staticmethod
    def _record(request: HttpRequest) -> None:
        match = getattr(request, "resolver_match", None)
        model_admin = getattr(getattr(match, "func", None), "model_admin", None)
        if match is None or model_admin is None:
            return
        view = admin_view_name(match.url_name)
        if view is None:
            return
        object_id = match.kwargs.get("object_id")
        admin_view_record(
            request=request,
            model=model_admin.model,
            view=view,
            object_id=str(object_id) if object_id is not None else None,
        )
