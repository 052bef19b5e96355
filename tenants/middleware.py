"""Routes each request to its tenant by host, and refuses suspended and closed stores."""

from __future__ import annotations

import logging

from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django_tenants.middleware.main import TenantMainMiddleware

from tenants.context import request_tenant
from tenants.models import TenantStatus

logger = logging.getLogger(__name__)


class TenantRoutingMiddleware(TenantMainMiddleware):
    """django-tenants' host routing, plus a clear page for stores that cannot be served.

    Unknown hosts get the 404 page of ``tenants.views.unknown_host``
    (``DEFAULT_NOT_FOUND_TENANT_VIEW``); a suspended store 403, a closed one 410.
    """

    def process_request(self, request: HttpRequest) -> HttpResponse | None:
        try:
            response: HttpResponse | None = super().process_request(request)
        except DatabaseError:
            # The database is down: say so at once (webhook senders retry on 503), and let
            # the next request open a fresh connection.
            logger.exception("tenant lookup failed: database unavailable")
            connection.close()
            return HttpResponse(
                "Service temporarily unavailable",
                status=503,
                content_type="text/plain",
                headers={"Retry-After": "5"},
            )
        if response is not None:
            return response
        tenant = request_tenant(request)
        if tenant.status == TenantStatus.SUSPENDED:
            return render(request, "tenants/suspended.html", {"store": tenant}, status=403)
        if tenant.status == TenantStatus.CLOSED:
            return render(request, "tenants/closed.html", {"store": tenant}, status=410)
        return None
