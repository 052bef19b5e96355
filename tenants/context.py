"""The current schema and tenant, typed: django-tenants keeps them on the connection and request."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import connection
from django.http import HttpRequest

if TYPE_CHECKING:
    from tenants.models import Tenant


def current_schema() -> str:
    return str(connection.schema_name)  # type: ignore[attr-defined]


def use_public_schema() -> None:
    """Back to public; also makes django-tenants send its search_path afresh."""
    connection.set_schema_to_public()  # type: ignore[attr-defined]


def request_tenant(request: HttpRequest) -> Tenant:
    """The store (or the public tenant) the routing middleware resolved for ``request``."""
    tenant: Tenant = request.tenant  # type: ignore[attr-defined]
    return tenant
