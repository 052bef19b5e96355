"""Closing a store ends our access to the seller's Mercado Livre account at once."""

from __future__ import annotations

from django_tenants.utils import tenant_context

from compliance.audit.models import AuditAction, AuditEvent
from integrations.mercadolivre.models import MLAccount, MLAccountStatus
from integrations.models import MLConnection
from tenants.models import TenantStatus
from tenants.services import tenant_set_status
from tests.integrations.support import connect


def test_closing_a_store_deletes_its_ml_tokens_and_routing(sandbox, tenant_a):
    seller_id = connect(sandbox, tenant_a)

    tenant_set_status(tenant=tenant_a, status=TenantStatus.CLOSED)

    with tenant_context(tenant_a):
        account = MLAccount.objects.get(ml_user_id=seller_id)
    assert (account.status, account.access_token, account.refresh_token) == (
        MLAccountStatus.DISCONNECTED,
        "",
        "",
    )
    assert not MLConnection.objects.filter(ml_user_id=seller_id).exists()
    event = AuditEvent.objects.get(action=AuditAction.ML_DISCONNECTED, tenant=tenant_a)
    assert event.actor_id == "store closed"


def test_suspending_a_store_keeps_its_ml_connection(sandbox, tenant_a):
    seller_id = connect(sandbox, tenant_a)

    tenant_set_status(tenant=tenant_a, status=TenantStatus.SUSPENDED)

    assert MLConnection.objects.filter(ml_user_id=seller_id).exists()
