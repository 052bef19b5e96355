"""What closing a store undoes in the Mercado Livre integration, and what it hands over.

Closing a store revokes our access to the seller's ML account at once: ML's API has no token
revocation a client can call for a seller, so the stored tokens are deleted and the routing row
removed (``ml_disconnect``, which records it in the audit log); the seller can also remove the
application from their ML account. The offboarding does it again (a store closed before this
existed) and puts the store's orders, its fiscal records, in the final export.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from django.db.models import F
from django.dispatch import receiver
from django_tenants.utils import schema_exists

from compliance.audit.services import Actor
from compliance.closure import closure_step, store_records
from integrations.mercadolivre.models import MLOrder
from integrations.mercadolivre.services import ml_disconnect
from integrations.models import MLConnection
from tenants.models import Tenant, TenantStatus
from tenants.signals import tenant_status_changed

ORDER_RECORD_FIELDS = (
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
    "items",
    "payments",
    "shipping_id",
)


def ml_access_revoke(*, tenant: Tenant, reason: str) -> dict[str, int]:
    """Delete the store's ML tokens and routing rows; how many accounts and rows went."""
    accounts = 0
    if schema_exists(tenant.schema_name):
        accounts = ml_disconnect(tenant=tenant, actor=Actor.system(reason))
    routes, _ = MLConnection.objects.filter(tenant=tenant).delete()
    return {"accounts": accounts, "connections": routes}


@receiver(tenant_status_changed, dispatch_uid="integrations_ml_access_revoke_on_close")
def _on_status_changed(sender: Any, *, tenant: Tenant, status: str, **kwargs: Any) -> None:
    if status == TenantStatus.CLOSED:
        ml_access_revoke(tenant=tenant, reason="store closed")


@closure_step("mercadolivre_access")
def _revoke_on_offboarding(tenant: Tenant, by: str) -> Mapping[str, Any]:
    return ml_access_revoke(tenant=tenant, reason="store offboarded")


@store_records("mercadolivre_orders")
def _orders(tenant: Tenant) -> Iterator[Mapping[str, Any]]:
    """Every order with its fiscal fields (ids, dates, amounts, lines, payments, buyer) and the
    store's ML account (seller) that sold it."""
    yield from (
        MLOrder.objects.order_by("date_created", "id")
        .values(
            *ORDER_RECORD_FIELDS,
            seller_ml_user_id=F("account__ml_user_id"),
            seller_nickname=F("account__nickname"),
        )
        .iterator(chunk_size=2000)
    )
