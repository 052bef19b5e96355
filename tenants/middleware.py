"""Routes each request to its tenant by host, and refuses suspended and closed stores."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django_tenants.middleware.main import TenantMainMiddleware

from tenants.context import request_tenant
from tenants.models import TenantStatus


class TenantRoutingMiddleware(TenantMainMiddleware):
    """django-tenants' host routing, plus a clear page for stores that cannot be served.

    Unknown hosts get the 404 page of ``tenants.views.unknown_host``
    (``DEFAULT_NOT_FOUND_TENANT_VIEW``); a suspended store 403, a closed one 410.
    """

    def process_request(self, request: HttpRequest) -> HttpResponse | None:
        response: HttpResponse | None = super().process_request(request)
        if response is not None:
            return response
        tenant = request_tenant(request)
        if tenant.status == TenantStatus.SUSPENDED:
            return render(request, "tenants/suspended.html", {"store": tenant}, status=403)
        if tenant.status == TenantStatus.CLOSED:
            return render(request, "tenants/closed.html", {"store": tenant}, status=410)
        return None
