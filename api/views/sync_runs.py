"""``/api/v1/sync-runs/``: the store's syncs with Mercado Livre, and "sync now"."""

from __future__ import annotations

from typing import Any, ClassVar

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from api.base import StoreReadViewSet
from api.errors import Conflict, TooManyRequests
from api.filtering import django_filters
from integrations.mercadolivre.models import SyncKind, SyncRun, SyncStatus
from integrations.mercadolivre.sync_now import SyncRefused, SyncTooSoon, sync_now_request
from tenants.context import request_tenant


class SyncRunSerializer(serializers.ModelSerializer[SyncRun]):
    class Meta:
        model = SyncRun
        fields = [
            "id",
            "kind",
            "status",
            "phase",
            "started_at",
            "finished_at",
            "heartbeat_at",
            "counts",
            "totals",
            "ml_calls",
            "error",
        ]
        read_only_fields = fields


class SyncQueuedSerializer(serializers.Serializer[Any]):
    status = serializers.ChoiceField(choices=["queued"])
    kind = serializers.ChoiceField(choices=SyncKind.choices)
    queued_at = serializers.DateTimeField()
    next_allowed_at = serializers.DateTimeField()


class SyncRunFilter(django_filters.FilterSet):  # type: ignore[misc]
    kind = django_filters.ChoiceFilter(choices=SyncKind.choices)
    status = django_filters.ChoiceFilter(choices=SyncStatus.choices)

    class Meta:
        model = SyncRun
        fields: ClassVar[list[str]] = []


@extend_schema_view(
    list=extend_schema(summary="List sync runs", tags=["sync"]),
    retrieve=extend_schema(summary="One sync run", tags=["sync"]),
)
class SyncRunViewSet(StoreReadViewSet[SyncRun]):
    # For the schema generator only; requests are served by scoped_queryset().
    queryset = SyncRun.objects.none()
    serializer_class = SyncRunSerializer
    filterset_class = SyncRunFilter
    lookup_value_regex = r"[0-9]{1,18}"
    ordering_fields: ClassVar[dict[str, str]] = {"started_at": "started_at"}
    default_ordering = "-started_at"

    def scoped_queryset(self) -> QuerySet[SyncRun]:
        return SyncRun.objects.defer("cursor")

    @extend_schema(
        summary="Sync now",
        description=(
            "Queue a sync of what changed on Mercado Livre. Refused with 429 (and Retry-After) "
            "within the plan's sync interval of the last sync, 409 while a sync runs or when "
            "the store has no usable Mercado Livre account."
        ),
        request=None,
        responses={202: SyncQueuedSerializer},
        tags=["sync"],
    )
    def create(self, request: Request) -> Response:
        try:
            queued = sync_now_request(
                tenant=request_tenant(request), requested_by=f"api:{request.user.get_username()}"
            )
        except SyncTooSoon as exc:
            raise TooManyRequests(exc.message, code=exc.code, retry_after=exc.retry_after) from exc
        except SyncRefused as exc:
            raise Conflict(exc.message, code=exc.code) from exc
        body = SyncQueuedSerializer(
            {
                "status": "queued",
                "kind": queued.kind,
                "queued_at": queued.queued_at,
                "next_allowed_at": queued.next_allowed_at,
            }
        )
        return Response(body.data, status=status.HTTP_202_ACCEPTED)
