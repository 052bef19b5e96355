"""Billing's reactions to store lifecycle: a closed or deleted store stops being billed."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import pre_delete
from django.dispatch import receiver

from billing.models import BillingCustomer, CheckoutAttempt, CheckoutStatus
from billing.tasks import billing_customer_offboard
from core.tasks import enqueue_on_commit
from tenants.models import Tenant, TenantStatus
from tenants.signals import tenant_status_changed


def _offboard(tenant: Tenant, reason: str) -> None:
    customer = BillingCustomer.objects.filter(tenant=tenant).first()
    if customer is None:
        return

    sessions = list(
        CheckoutAttempt.objects.filter(tenant=tenant, status=CheckoutStatus.OPEN).values_list(
            "stripe_session_id", flat=True
        )
    )
    enqueue_on_commit(
        billing_customer_offboard, args=[customer.stripe_customer_id, sessions, reason]
    )


@receiver(tenant_status_changed)
def _on_status_changed(sender: Any, *, tenant: Tenant, status: str, **kwargs: Any) -> None:
    if status == TenantStatus.CLOSED:
        _offboard(tenant, "store closed")


@receiver(pre_delete, sender=Tenant)
def _on_tenant_delete(sender: Any, *, instance: Tenant, **kwargs: Any) -> None:
    _offboard(instance, "store deleted")
