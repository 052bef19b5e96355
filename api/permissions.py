"""The store's subscription decides what the API may do (``billing.entitlements``).

Read-only: reads only. Blocked: nothing but views marked ``allowed_when_blocked`` (the
subscription itself). Views marked ``subject_rights`` (privacy requests) are never refused:
data-subject rights do not depend on paying (LGPD Art. 18).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request

from api.errors import PaymentRequired
from billing.entitlements import UPGRADE_PATH, Access, Entitlement, entitlements_for

if TYPE_CHECKING:
    from rest_framework.views import APIView


class StoreEntitlement(BasePermission):
    def has_permission(self, request: Request, view: APIView) -> bool:
        tenant = getattr(request, "tenant", None)
        if tenant is None or tenant.is_public or getattr(view, "subject_rights", False):
            return True
        entitlement: Entitlement = getattr(request, "entitlement", None) or entitlements_for(
            tenant=tenant
        )
        blocked = entitlement.access == Access.BLOCKED and not getattr(
            view, "allowed_when_blocked", False
        )
        read_only = entitlement.access != Access.FULL and request.method not in SAFE_METHODS
        if blocked or read_only:
            raise PaymentRequired(
                entitlement.reason,
                code=f"subscription_{entitlement.access}",
                details={"upgrade_url": request.build_absolute_uri(UPGRADE_PATH)},
            )
        return True
