"""What every store API view shares: authentication, entitlements, rate limits, pagination.

Querysets are scoped by ``tenants.api.StoreViewSet`` (fail closed: subclasses supply
``scoped_queryset``, a request off a store's host is 404). ``StoreApiView`` is the same wall
for endpoints that are not a queryset (the subscription).
"""

from __future__ import annotations

from typing import Any, ClassVar, TypeVar

from django.db.models import Model
from rest_framework import mixins
from rest_framework.authentication import SessionAuthentication
from rest_framework.exceptions import NotFound
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.views import APIView

from api.authentication import BearerTokenAuthentication
from api.filtering import DjangoFilterBackend
from api.pagination import KeysetPagination
from api.permissions import StoreEntitlement
from api.throttling import PlanRateThrottle
from tenants.api import StoreViewSet
from tenants.models import Tenant

M = TypeVar("M", bound=Model)


# Bearer tokens first, so an anonymous request is 401 with ``WWW-Authenticate: Bearer``.
AUTHENTICATION = (BearerTokenAuthentication, SessionAuthentication)
PERMISSIONS = (IsAuthenticated, StoreEntitlement)
THROTTLES = (PlanRateThrottle,)


class StoreApiViewSet(StoreViewSet[M]):
    authentication_classes = AUTHENTICATION
    permission_classes = PERMISSIONS
    throttle_classes = THROTTLES
    pagination_class = KeysetPagination
    filter_backends = (DjangoFilterBackend,)
    ordering_fields: ClassVar[dict[str, str]] = {}
    default_ordering: ClassVar[str] = ""


class StoreReadViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, StoreApiViewSet[M]):
    """``GET`` list (paginated, filtered, ordered) and ``GET`` one."""


class StoreApiView(APIView):
    authentication_classes = AUTHENTICATION
    permission_classes = PERMISSIONS
    throttle_classes = THROTTLES

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        tenant = getattr(request, "tenant", None)
        if tenant is None or tenant.is_public:
            raise NotFound()
        super().initial(request, *args, **kwargs)

    @property
    def tenant(self) -> Tenant:
        tenant: Tenant = self.request.tenant  # type: ignore[attr-defined]
        return tenant
