"""Staff looking at a store's data in admin: one ``staff_tenant_access`` event per staff member,
store and hour.

Admin pages of models whose rows belong to a store (a foreign key to ``Tenant``, or ``Tenant``
itself) are recorded by ``StaffTenantAccessMiddleware`` on the public host, or by
``StaffTenantAccessAdminMixin`` on a ``ModelAdmin``; both end here. A Redis ``SET NX`` per
(staff, store, hour) keeps a list page refreshed all afternoon to one row an hour.
"""

from __future__ import annotations

import logging
from typing import Any

import redis
from django.contrib.admin.utils import unquote
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Subquery
from django.http import HttpRequest
from django.utils import timezone

from compliance.audit.models import AuditAction, AuditEvent
from compliance.audit.services import ObjectRef, actor_from_request, audit_record
from core.redis import redis_client
from tenants.models import Tenant

logger = logging.getLogger(__name__)

DEDUP_SECONDS = 3600
# Changelist query parameters that narrow a list to one store, for a field named ``tenant``.
TENANT_FILTER_SUFFIXES = ("__id__exact", "__pk__exact", "__exact", "_id__exact", "_id", "")


def tenant_field_of(model: type[models.Model]) -> str | None:
    """The name of ``model``'s foreign key to ``Tenant`` (``tenant`` preferred), or None."""
    names = [
        field.name
        for field in model._meta.get_fields()
        if field.is_relation
        and field.concrete
        and (field.many_to_one or field.one_to_one)  # not many-to-many (a breach's stores)
        and field.related_model is Tenant
    ]
    if "tenant" in names:
        return "tenant"
    return names[0] if names else None


def _first_time_this_hour(*, staff_id: str, tenant: Tenant | None) -> bool:
    hour = timezone.now().strftime("%Y%m%d%H")
    key = f"audit:staff-access:{staff_id}:{tenant.pk if tenant else 'all'}:{hour}"
    try:
        return bool(redis_client().set(key, "1", nx=True, ex=DEDUP_SECONDS))
    except redis.RedisError:
        # Better a duplicate row than a view nobody recorded.
        logger.warning("audit: Redis unavailable, recording staff access without dedup")
        return True


def staff_tenant_access_record(
    *,
    request: HttpRequest,
    tenant: Tenant | None,
    model: type[models.Model],
    view: str,
    object_id: str = "",
) -> AuditEvent | None:
    """Record that the staff member of ``request`` viewed ``tenant``'s data (None: several
    stores, an unfiltered list); nothing if already recorded for them and the store this hour."""
    actor = actor_from_request(request)
    if not actor.id or not _first_time_this_hour(staff_id=actor.id, tenant=tenant):
        return None
    return audit_record(
        action=AuditAction.STAFF_TENANT_ACCESS,
        actor=actor,
        tenant=tenant,
        request=request,
        obj=ObjectRef(type=model._meta.label_lower, id=object_id) if object_id else None,
        details={
            "model": model._meta.label_lower,
            "view": view,
            "path": request.get_full_path()[:500],
            "scope": "store" if tenant is not None else "all stores",
        },
    )


def _tenant_of_object(
    model: type[models.Model], field: str | None, object_id: str
) -> Tenant | None:
    try:
        if model is Tenant:
            return Tenant.objects.filter(pk=object_id).first()
        if field is None:
            return None
        owner = model._default_manager.filter(pk=object_id).values(f"{field}_id")[:1]
        return Tenant.objects.filter(pk=Subquery(owner)).first()
    except (ValueError, TypeError, ValidationError):
        return None


def _tenant_of_filter(request: HttpRequest, field: str) -> Tenant | None:
    for suffix in TENANT_FILTER_SUFFIXES:
        value = request.GET.get(f"{field}{suffix}", "")
        if value.isdigit():
            return Tenant.objects.filter(pk=int(value)).first()
    return None


def admin_view_record(
    *, request: HttpRequest, model: type[models.Model], view: str, object_id: str | None
) -> AuditEvent | None:
    """Record an admin page of ``model`` (``view``: changelist, change, history, delete) if its
    rows belong to a store; None when the model holds no store's data or it was recorded."""
    if model is AuditEvent:
        return None  # reading the log is not reading a store's data (and would feed itself)
    field = tenant_field_of(model)
    if field is None and model is not Tenant:
        return None
    if object_id is not None:
        object_id = unquote(object_id)
        tenant = _tenant_of_object(model, field, object_id)
    elif model is Tenant:
        tenant = _tenant_of_filter(request, "id")
    else:
        tenant = _tenant_of_filter(request, field or "tenant")
    return staff_tenant_access_record(
        request=request, tenant=tenant, model=model, view=view, object_id=object_id or ""
    )


def admin_view_name(url_name: str | None) -> str | None:
    """``billing_invoicerecord_change`` -> ``change``: the admin views that show data."""
    for view in ("changelist", "change", "history", "delete"):
        if url_name and url_name.endswith(f"_{view}"):
            return view
    return None


def is_staff_request(request: HttpRequest) -> bool:
    user: Any = getattr(request, "user", None)
    return bool(user is not None and user.is_authenticated and user.is_staff)


class StaffTenantAccessAdminMixin:
    """Put first in a ``ModelAdmin``'s bases to record staff opening its list and object pages.

    Equivalent to the middleware for that admin; the hourly dedup makes both together harmless.
    """

    model: type[models.Model]

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> Any:
        response = super().changelist_view(request, extra_context)  # type: ignore[misc]
        if getattr(response, "status_code", None) == 200 and is_staff_request(request):
            admin_view_record(request=request, model=self.model, view="changelist", object_id=None)
        return response

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: Any = None
    ) -> Any:
        response = super().change_view(  # type: ignore[misc]
            request, object_id, form_url, extra_context
        )
        if getattr(response, "status_code", None) == 200 and is_staff_request(request):
            admin_view_record(request=request, model=self.model, view="change", object_id=object_id)
        return response
