"""Inbound-webhook ledger rows (ML notifications, Stripe events), unsaved: for ``create`` or
``bulk_create``. Defaults are the order notification and the paid invoice the tests use."""

from __future__ import annotations

from typing import Any

from billing.models import StripeEvent
from integrations.models import MLNotification
from tenants.models import Tenant


def ml_notification(
    *,
    dedup_key: str,
    resource: str,
    ml_user_id: int,
    payload: dict[str, Any],
    tenant: Tenant | None,
    **fields: Any,
) -> MLNotification:
    return MLNotification(
        dedup_key=dedup_key,
        topic="orders_v2",
        resource=resource,
        ml_user_id=ml_user_id,
        application_id="app",
        payload=payload,
        tenant=tenant,
        **fields,
    )


def stripe_event(*, event_id: str, tenant: Tenant | None, **fields: Any) -> StripeEvent:
    return StripeEvent(
        event_id=event_id,
        type="invoice.paid",
        payload={"id": event_id},
        tenant=tenant,
        **fields,
    )
