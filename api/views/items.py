"""``/api/v1/items/``: the store's Mercado Livre listings."""

from __future__ import annotations

from typing import ClassVar

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers

from api.accounts import AccountField, AccountFilter
from api.base import StoreReadViewSet
from api.filtering import django_filters
from integrations.mercadolivre.models import MLItem
from integrations.mercadolivre.search import items_search

ITEM_ID_PATTERN = r"[A-Za-z0-9_-]{1,32}"


class ItemSerializer(serializers.ModelSerializer[MLItem]):
    # ML leaves these empty on some listings, so they are strings, not always URLs.
    permalink = serializers.CharField(read_only=True, help_text="The listing's URL, or empty.")
    thumbnail = serializers.CharField(read_only=True, help_text="An image URL, or empty.")
    account = AccountField()

    class Meta:
        model = MLItem
        fields = [
            "id",
            "title",
            "status",
            "price_cents",
            "currency",
            "available_quantity",
            "sold_quantity",
            "sku",
            "category_id",
            "listing_type_id",
            "permalink",
            "thumbnail",
            "date_created",
            "last_updated",
            "synced_at",
            "account",
        ]
        read_only_fields = fields


class ItemFilter(django_filters.FilterSet):  # type: ignore[misc]
    status = django_filters.CharFilter(field_name="status", help_text="ML status, e.g. active.")
    stock = django_filters.ChoiceFilter(
        choices=[("in", "In stock"), ("out", "Out of stock")],
        method="filter_stock",
        help_text="`in`: available quantity above 0; `out`: none available.",
    )
    q = django_filters.CharFilter(
        method="filter_search",
        help_text="Words the title's words begin with (all of them), or an exact item id or SKU.",
    )
    account = AccountFilter()

    class Meta:
        model = MLItem
        fields: ClassVar[list[str]] = []

    def filter_stock(self, queryset: QuerySet[MLItem], name: str, value: str) -> QuerySet[MLItem]:
        if value == "in":
            return queryset.filter(available_quantity__gt=0)
        return queryset.filter(available_quantity__lte=0)

    def filter_search(self, queryset: QuerySet[MLItem], name: str, value: str) -> QuerySet[MLItem]:
        return items_search(queryset, value)


@extend_schema_view(
    list=extend_schema(summary="List items", tags=["items"]),
    retrieve=extend_schema(summary="One item", tags=["items"]),
)
class ItemViewSet(StoreReadViewSet[MLItem]):
    # For the schema generator only; requests are served by scoped_queryset().
    queryset = MLItem.objects.none()
    serializer_class = ItemSerializer
    filterset_class = ItemFilter
    lookup_value_regex = ITEM_ID_PATTERN
    ordering_fields: ClassVar[dict[str, str]] = {
        "last_updated": "last_updated",
        "title": "title",
        "price": "price_cents",
        "available_quantity": "available_quantity",
        "sold_quantity": "sold_quantity",
    }
    default_ordering = "-last_updated"

    def scoped_queryset(self) -> QuerySet[MLItem]:
        return MLItem.objects.defer("raw")
