"""``/api/v1/webhook-events/``: the notifications Mercado Livre sent about this store.

The inbox lives in the public schema, keyed by ML user id; the queryset is filtered by the
store's own ML user ids in the query itself, so another store's rows are never fetched.
"""

from __future__ import annotations

from typing import ClassVar

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers

from api.base import StoreReadViewSet
from api.filtering import django_filters
from integrations.mercadolivre.selectors.sync import notifications_of_store
from integrations.models import MLNotification, NotificationStatus
from tenants.context import request_tenant


class WebhookEventSerializer(serializers.ModelSerializer[MLNotification]):
    class Meta:
        model = MLNotification
        fields = [
            "id",
            "topic",
            "resource",
            "ml_user_id",
            "status",
            "attempts",
            "sent_at",
            "arrived_at",
            "processed_at",
            "tries",
            "last_error",
        ]
        read_only_fields = fields


class WebhookEventFilter(django_filters.FilterSet):  # type: ignore[misc]
    topic = django_filters.CharFilter(field_name="topic", help_text="e.g. orders_v2, questions.")
    status = django_filters.ChoiceFilter(choices=NotificationStatus.choices)

    class Meta:
        model = MLNotification
        fields: ClassVar[list[str]] = []


@extend_schema_view(
    list=extend_schema(summary="List webhook events", tags=["webhook events"]),
    retrieve=extend_schema(summary="One webhook event", tags=["webhook events"]),
)
class WebhookEventViewSet(StoreReadViewSet[MLNotification]):
    # For the schema generator only; requests are served by scoped_queryset().
    queryset = MLNotification.objects.none()
    serializer_class = WebhookEventSerializer
    filterset_class = WebhookEventFilter
    lookup_value_regex = r"[0-9]{1,18}"
    ordering_fields: ClassVar[dict[str, str]] = {"arrived_at": "arrived_at"}
    default_ordering = "-arrived_at"

    def scoped_queryset(self) -> QuerySet[MLNotification]:
        return notifications_of_store(tenant=request_tenant(self.request)).defer("payload")
