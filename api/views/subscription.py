"""``/api/v1/subscription/``: the store's plan, subscription state, limits and usage.

Answered even when the store is blocked, so a client can tell why everything else is 402.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from api.base import StoreApiView
from billing.entitlements import UPGRADE_PATH, Access, entitlements_for
from billing.usage import usage_for


class PlanSerializer(serializers.Serializer[Any]):
    code = serializers.CharField()
    name = serializers.CharField()


class LimitsSerializer(serializers.Serializer[Any]):
    max_ml_accounts = serializers.IntegerField()
    max_items = serializers.IntegerField()
    max_orders_per_month = serializers.IntegerField(
        help_text="Informational: orders are counted (`usage.orders_this_month`), never refused "
        "nor left unsynced."
    )
    sync_interval_minutes = serializers.IntegerField()
    api_calls_per_day = serializers.IntegerField()
    features = serializers.ListField(child=serializers.CharField())


class UsageSerializer(serializers.Serializer[Any]):
    api_calls_today = serializers.IntegerField()
    items = serializers.IntegerField()
    orders_this_month = serializers.IntegerField()
    ml_accounts = serializers.IntegerField()


class SubscriptionSerializer(serializers.Serializer[Any]):
    plan = PlanSerializer()
    status = serializers.CharField(help_text="Stripe's subscription status, or `none`.")
    access = serializers.ChoiceField(choices=[a.value for a in Access])
    reason = serializers.CharField()
    until = serializers.DateTimeField(allow_null=True)
    invoice_url = serializers.CharField(allow_blank=True)
    upgrade_url = serializers.URLField()
    limits = LimitsSerializer()
    usage = UsageSerializer()


class SubscriptionView(StoreApiView):
    allowed_when_blocked = True

    @extend_schema(
        summary="The store's subscription, limits and usage",
        responses={200: SubscriptionSerializer},
        tags=["subscription"],
    )
    def get(self, request: Request) -> Response:
        entitlement = entitlements_for(tenant=self.tenant)
        limits = entitlement.limits
        body = SubscriptionSerializer(
            {
                "plan": {"code": limits.code, "name": limits.name},
                "status": entitlement.status,
                "access": entitlement.access.value,
                "reason": entitlement.reason,
                "until": entitlement.until,
                "invoice_url": entitlement.invoice_url,
                "upgrade_url": request.build_absolute_uri(UPGRADE_PATH),
                "limits": {
                    "max_ml_accounts": limits.max_ml_accounts,
                    "max_items": limits.max_items,
                    "max_orders_per_month": limits.max_orders_per_month,
                    "sync_interval_minutes": limits.sync_interval_minutes,
                    "api_calls_per_day": limits.api_calls_per_day,
                    "features": list(limits.features),
                },
                "usage": usage_for(tenant=self.tenant),
            }
        )
        return Response(body.data)
