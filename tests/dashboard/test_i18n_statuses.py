"""ML's payment codes and the sync page's refusals and notification notes, in the seller's
language: Portuguese by default, English when chosen."""

from __future__ import annotations

import pytest
from django.utils import timezone
from django_tenants.utils import tenant_context

from billing.models import Plan
from billing.sync import entitlement_forget
from integrations.mercadolivre.inbox import notification_process
from integrations.mercadolivre.models import MLOrder
from integrations.models import MLConnection, MLNotification, NotificationStatus
from tests.dashboard.support import account_connect, items_seed, orders_seed
from tests.support.clients import store_client

pytestmark = pytest.mark.django_db


def test_a_payments_status_and_method_read_in_portuguese_by_default_and_english_when_asked(
    tenant_a,
):
    account_connect(tenant_a, ml_user_id=111)
    orders_seed(tenant_a, 1, first_id=500, nickname="bia")
    with tenant_context(tenant_a):
        MLOrder.objects.filter(pk=500).update(
            payments=[
                {"id": 1, "status": "approved", "method": "account_money", "amount_cents": 100},
                {"id": 2, "status": "charged_back", "method": "pix", "amount_cents": 200},
                {"id": 3, "status": "new_ml_status", "method": "new_ml_method", "amount_cents": 1},
            ]
        )
    client = store_client(tenant_a, login=True)

    pt = client.get("/orders/500/").text
    en = client.get("/orders/500/", HTTP_ACCEPT_LANGUAGE="en").text

    assert "<td>Saldo no Mercado Pago</td><td>Aprovado</td>" in pt
    assert "<td>Pix</td><td>Contestado (chargeback)</td>" in pt
    assert "<td>new_ml_method</td><td>new_ml_status</td>" in pt  # a code ML adds shows as is
    assert "<td>Mercado Pago balance</td><td>Approved</td>" in en
    assert "<td>Pix</td><td>Charged back</td>" in en
    assert "approved" not in pt
    assert "account_money" not in pt


def test_sync_now_without_a_mercado_livre_account_is_refused_in_portuguese(tenant_a):
    page = store_client(tenant_a, login=True).post("/sync/now", HTTP_HX_REQUEST="true").text

    assert 'id="sync-refused"' in page
    assert "Conecte sua conta do Mercado Livre antes de sincronizar." in page


def test_a_notification_held_by_the_plan_limit_says_why_in_portuguese(tenant_a):
    account_connect(tenant_a, ml_user_id=111)
    MLConnection.objects.create(ml_user_id=111, tenant=tenant_a, connected_at=timezone.now())
    items_seed(tenant_a, 2, prefix="L")
    Plan.objects.filter(code=tenant_a.plan_code).update(max_items=2)
    entitlement_forget(tenant_a.pk)
    row = MLNotification.objects.create(
        dedup_key="ml:i18n-limit",
        topic="items",
        resource="/items/MLB123",
        ml_user_id=111,
        application_id="peepers-sandbox-app",
        payload={},
    )

    # A worker: no request, so the default language (pt-BR) is the one stored.
    assert notification_process(notification_id=row.pk) == NotificationStatus.IGNORED

    row.refresh_from_db()
    assert row.last_error == "Limite do plano: o plano Starter guarda até 2 produtos"
    page = store_client(tenant_a, login=True).get("/sync/").text
    assert "Limite do plano: o plano Starter guarda até 2 produtos" in page
