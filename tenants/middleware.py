"""Routes each request to its tenant by host, and refuses suspended and closed stores."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django_tenants.middleware.main import TenantMainMiddleware
from django_tenants.utils import get_public_schema_name

from tenants.context import request_tenant, use_public_schema
from tenants.models import Domain, Tenant, TenantStatus
from tenants.views import render_for_visitor

logger = logging.getLogger(__name__)


class TenantRoutingMiddleware(TenantMainMiddleware):
    """django-tenants' host routing, plus a clear page for stores that cannot be served.

    Unknown hosts get the 404 page of ``tenants.views.unknown_host``
    (``DEFAULT_NOT_FOUND_TENANT_VIEW``); a suspended store 403, a closed one 410.
    """

    def get_tenant(self, domain_model: Any, hostname: str) -> Tenant:
        """The tenant of ``hostname``: one indexed query (none for the public host)."""
        if hostname == settings.PEEPERS_BASE_DOMAIN:
            # The public host serves webhooks, health and signup: keep its path query-free.
            return _public_tenant(connection.alias)
        return _tenant_for_host(hostname, domain_model)

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
            return render_for_visitor(
                request, "tenants/suspended.html", {"store": tenant}, status=403
            )
        if tenant.status == TenantStatus.CLOSED:
            return render_for_visitor(request, "tenants/closed.html", {"store": tenant}, status=410)
        return None


class PublicHostMiddleware:
    """The lean stack's router: public host only, public schema, public URLconf, no query."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        hostname = request.get_host().split(":")[0]  # validates against ALLOWED_HOSTS
        if hostname != settings.PEEPERS_BASE_DOMAIN:
            return HttpResponse("Not found", status=404, content_type="text/plain")
        use_public_schema()
        try:
            request.tenant = _public_tenant(connection.alias)  # type: ignore[attr-defined]
        except DatabaseError:
            logger.exception("public tenant lookup failed: database unavailable")
            connection.close()
            return HttpResponse(
                "Service temporarily unavailable", status=503, headers={"Retry-After": "5"}
            )
        request.urlconf = settings.PUBLIC_SCHEMA_URLCONF  # type: ignore[attr-defined]
        return self.get_response(request)


def _tenant_for_host(hostname: str, domain_model: Any) -> Tenant:
    """One indexed query, without the ORM's select_related compilation on every request."""
    table, domains = Tenant._meta.db_table, Domain._meta.db_table
    found = list(
        Tenant.objects.raw(
            f"SELECT t.* FROM {table} t JOIN {domains} d ON d.tenant_id = t.id "  # noqa: S608
            "WHERE d.domain = %s",
            [hostname],
        )
    )
    if not found:
        raise domain_model.DoesNotExist(hostname)
    return found[0]


@functools.cache
def _public_tenant(alias: str) -> Tenant:
    """The public tenant's row, read once per process: it never changes while serving."""
    return Tenant.objects.using(alias).get(schema_name=get_public_schema_name())


class StoreTimeZoneMiddleware:
    """A store's pages speak its time zone: ``{{ when|date }}``, form fields and ``localtime()``
    show the store's clock, not the server's UTC.

    The public host (signup, staff admin) stays in UTC, and so do the paths of
    ``PEEPERS_UTC_PATHS`` (the API answers ISO 8601 in UTC whoever asks).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        tenant = getattr(request, "tenant", None)
        if (
            tenant is None
            or tenant.is_public
            or request.path.startswith(settings.PEEPERS_UTC_PATHS)
        ):
            return self.get_response(request)
        with timezone.override(tenant.time_zone):
            return self.get_response(request)
