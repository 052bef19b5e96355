"""The fail-closed base of every store API view, and the team endpoint built on it.

Subclasses supply ``scoped_queryset()``; they may not override ``get_queryset``/``get_object``
(checked when the class is defined). A request that did not arrive on a store's host is 404, so a
route mounted by mistake on the public host leaks nothing. Each store's rows already live in its
own schema; this base is the second wall.
"""

from __future__ import annotations

from typing import Any, ClassVar, Generic, TypeVar

from django.db.models import Model, QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, viewsets
from rest_framework.exceptions import NotFound

from users.models import User

M = TypeVar("M", bound=Model)


class StoreViewSet(viewsets.GenericViewSet, Generic[M]):  # type: ignore[type-arg]
    _sealed: ClassVar[tuple[str, ...]] = ("get_queryset", "get_object")

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for name in cls._sealed:
            if name in cls.__dict__:
                raise TypeError(
                    f"{cls.__name__} overrides {name}(); implement scoped_queryset() instead"
                )

    def scoped_queryset(self) -> QuerySet[M]:
        raise NotImplementedError

    def get_queryset(self) -> QuerySet[M]:
        tenant = getattr(self.request, "tenant", None)
        if tenant is None or tenant.is_public:
            raise NotFound()
        return self.scoped_queryset()


class TeamMemberSerializer(serializers.ModelSerializer[User]):
    class Meta:
        model = User
        fields = ["id", "email", "full_name", "role", "is_active", "date_joined"]
        read_only_fields = fields


@extend_schema_view(
    retrieve=extend_schema(
        parameters=[OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH)]
    )
)
class TeamMemberViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, StoreViewSet[User]):
    """The store's users: ``GET /api/v1/team/`` and ``/api/v1/team/<id>/``."""

    serializer_class = TeamMemberSerializer

    def scoped_queryset(self) -> QuerySet[User]:
        return User.objects.order_by("email")
