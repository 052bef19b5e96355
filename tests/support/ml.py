"""Mercado Livre account rows of a store, written directly (no OAuth dance)."""

from __future__ import annotations

from django.utils import timezone
from django_tenants.utils import tenant_context

from integrations.mercadolivre.models import MLAccount, MLAccountStatus
from tenants.models import Tenant


def account_add(
    tenant: Tenant,
    *,
    ml_user_id: int,
    nickname: str | None = None,
    status: str = MLAccountStatus.ACTIVE,
) -> MLAccount:
    """Another ML account row of ``tenant`` (a store may hold several), connected after the
    ones it already has."""
    with tenant_context(tenant):
        return MLAccount.objects.create(
            ml_user_id=ml_user_id,
            nickname=f"SELLER{ml_user_id}" if nickname is None else nickname,
            status=status,
            access_token="not-a-real-token",
            connected_at=timezone.now(),
        )
