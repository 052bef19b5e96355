"""``/api/v1/orders/``: the store's Mercado Livre orders; one order with its lines and buyer."""

from __future__ import annotations

from typing import Any, ClassVar

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers

from api.accounts import AccountField, AccountFilter
from api.base import StoreReadViewSet
from api.filtering import UtcDateTimeFilter, django_filters
from integrations.mercadolivre.models import MLOrder

ORDER_ID_PATTERN = r"[0-9]{1,18}"


class OrderSerializer(serializers.ModelSerializer[MLOrder]):
    account = AccountField()

    class Meta:
        model = MLOrder
        fields = [
            "id",
            "status",
            "date_created",
            "date_closed",
            "last_updated",
            "total_cents",
            "paid_cents",
            "currency",
            "buyer_id",
            "buyer_nickname",
            "account",
        ]
        read_only_fields = fields


class OrderLineSerializer(serializers.Serializer[Any]):
    item_id = serializers.CharField(allow_null=True)
    title = serializers.CharField(allow_null=True)
    quantity = serializers.IntegerField(allow_null=True)
    unit_price_cents = serializers.IntegerField(allow_null=True)


class PaymentSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField(allow_null=True)
    status = serializers.CharField(allow_null=True)
    amount_cents = serializers.IntegerField(allow_null=True)
    method = serializers.CharField(allow_null=True)


class BuyerSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField(source="buyer_id", allow_null=True)
    nickname = serializers.CharField(source="buyer_nickname")


class OrderDetailSerializer(OrderSerializer):
    buyer = BuyerSerializer(source="*", read_only=True)
    items = OrderLineSerializer(many=True, read_only=True)
    payments = PaymentSerializer(many=True, read_only=True)

    class Meta(OrderSerializer.Meta):
        fields = [*OrderSerializer.Meta.fields, "buyer", "items", "payments", "shipping_id"]
        read_only_fields = fields


class OrderFilter(django_filters.FilterSet):  # type: ignore[misc]
    status = django_filters.CharFilter(field_name="status", help_text="ML status, e.g. paid.")
    created_after = UtcDateTimeFilter(
        field_name="date_created", lookup_expr="gte", help_text="Created at or after (ISO 8601)."
    )
    created_before = UtcDateTimeFilter(
        field_name="date_created", lookup_expr="lt", help_text="Created before (ISO 8601)."
    )
    account = AccountFilter()

    class Meta:
        model = MLOrder
        fields: ClassVar[list[str]] = []


@extend_schema_view(
    list=extend_schema(summary="List orders", tags=["orders"]),
    retrieve=extend_schema(summary="One order, with its lines and buyer", tags=["orders"]),
)
class OrderViewSet(StoreReadViewSet[MLOrder]):
    # For the schema generator only; requests are served by scoped_queryset().
    queryset = MLOrder.objects.none()
    filterset_class = OrderFilter
    lookup_value_regex = ORDER_ID_PATTERN
    ordering_fields: ClassVar[dict[str, str]] = {
        "date_created": "date_created",
        "last_updated": "last_updated",
        "total": "total_cents",
    }
    default_ordering = "-date_created"

    def get_serializer_class(self) -> type[serializers.BaseSerializer[Any]]:
        return OrderDetailSerializer if self.action == "retrieve" else OrderSerializer

    def scoped_queryset(self) -> QuerySet[MLOrder]:
        if self.action == "retrieve":
            return MLOrder.objects.defer("raw")
        return MLOrder.objects.defer("raw", "items", "payments")
