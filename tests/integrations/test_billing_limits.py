"""The ML integration asks billing: read-only stores do not sync; plan limits hold."""

import pytest
from django.utils import timezone
from django_tenants.utils import tenant_context

from billing.models import Plan, SubscriptionMirror
from billing.sync import entitlement_forget
from integrations.mercadolivre.errors import MLPlanLimitReached
from integrations.mercadolivre.inbox import notification_process
from integrations.mercadolivre.models import MLItem, SyncKind, SyncRun
from integrations.mercadolivre.services import ml_connect_start
from integrations.mercadolivre.sync import ml_sync_incremental, ml_sync_initial
from tests.integrations.support import connect
from tests.integrations.test_inbox import deliver, first
from tests.support.billing import subscription_set
from tests.support.clients import store_client

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _budget(settings):
    settings.ML_RATE_LIMIT_PER_MINUTE = settings.ML_SELLER_RATE_LIMIT_PER_MINUTE = 100_000


def test_an_unpaid_store_does_not_sync(sandbox, tenant_a):
    connect(sandbox, tenant_a)
    subscription_set(tenant_a, "unpaid")

    outcome = ml_sync_initial(tenant=tenant_a)

    assert outcome.status == "skipped"
    assert "unpaid" in outcome.reason
    with tenant_context(tenant_a):
        assert not MLItem.objects.exists()


def test_the_plan_caps_the_items_a_store_keeps(sandbox, tenant_a):
    Plan.objects.filter(code="starter").update(max_items=10)
    connect(sandbox, tenant_a)
    entitlement_forget(tenant_a.pk)

    outcome = ml_sync_initial(tenant=tenant_a)

    assert outcome.status == "succeeded"
    with tenant_context(tenant_a):
        assert MLItem.objects.count() == 10
        run = SyncRun.objects.get(kind=SyncKind.INITIAL)
    assert run.totals["items"] == 30  # the sandbox seller's items, of which 10 are kept
    assert "/billing/" in run.cursor["plan_limit"]


def test_a_new_item_over_the_limit_from_a_notification_waits(sandbox, tenant_a, clock):
    Plan.objects.filter(code="starter").update(max_items=0)
    seller_id = connect(sandbox, tenant_a)
    entitlement_forget(tenant_a.pk)
    item = first(tenant_a, f"/users/{seller_id}/items/search", {})
    row = deliver(seller_id, "items", f"/items/{item}", "n-item")

    assert notification_process(notification_id=row.pk, clock=clock) == "ignored"
    row.refresh_from_db()
    assert "plan limit" in row.last_error


def test_notifications_for_a_blocked_store_are_kept_not_processed(sandbox, tenant_a, clock):
    seller_id = connect(sandbox, tenant_a)
    order = first(tenant_a, "/orders/search", {"seller": seller_id})
    subscription_set(tenant_a, "canceled")
    row = deliver(seller_id, "orders_v2", f"/orders/{order['id']}", "n-blocked")

    assert notification_process(notification_id=row.pk, clock=clock) == "ignored"
    row.refresh_from_db()
    assert row.last_error.startswith("billing: ")


def test_a_read_only_store_cannot_connect_mercado_livre(tenant_a):
    subscription_set(tenant_a, "unpaid")

    with pytest.raises(MLPlanLimitReached, match="unpaid"):
        ml_connect_start(tenant=tenant_a, started_by="owner")


def test_a_scheduled_sync_waits_for_the_plans_interval(sandbox, tenant_a):
    connect(sandbox, tenant_a)
    entitlement_forget(tenant_a.pk)
    ml_sync_initial(tenant=tenant_a)

    asked = ml_sync_incremental(tenant=tenant_a)
    scheduled = ml_sync_incremental(tenant=tenant_a, scheduled=True)

    assert asked.status == "succeeded"
    assert scheduled.status == "skipped"
    assert "syncs every 60 minutes" in scheduled.reason


def test_the_settings_page_explains_a_refused_connect(tenant_a):
    subscription_set(tenant_a, "past_due")
    SubscriptionMirror.objects.filter(tenant=tenant_a).update(
        payment_failed_since=timezone.now() - timezone.timedelta(days=30)
    )
    entitlement_forget(tenant_a.pk)
    client = store_client(tenant_a, login=True)

    response = client.post("/settings/mercado-livre/connect", follow=True)

    assert response.redirect_chain[-1][0] == "/billing/"
    assert "read-only" in response.text
