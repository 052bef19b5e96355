"""Two accounts of one store syncing at once share the plan's item limit: together they never
store more than it allows (each read the room before either stored its page)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection
from django_tenants.utils import tenant_context

from billing.models import Plan
from integrations.mercadolivre.models import MLItem
from integrations.mercadolivre.sync import ml_sync_initial
from tenants.models import Tenant
from tests.integrations.support import connect, on_plan

LIMIT = 40  # each sandbox seller lists 30 items: room for one and a part of the other


@pytest.mark.usefixtures("committed_db")
def test_two_accounts_syncing_at_once_stay_within_the_item_limit(sandbox, unlimited):
    tenant = Tenant.objects.get(schema_name="tenant-a")
    Plan.objects.filter(code="pro").update(max_items=LIMIT)
    on_plan(tenant, "pro")
    sellers = [connect(sandbox, tenant, seller_index=i) for i in (0, 1)]
    # Every ML call takes a while, so both syncs read the room before either stores a page.
    sandbox.faults(latency_ms=300)
    start = threading.Barrier(2)
    outcomes: dict[int, str] = {}

    def sync(seller_id: int) -> None:
        try:
            start.wait()
            outcomes[seller_id] = ml_sync_initial(tenant=tenant, ml_user_id=seller_id).status
        finally:
            connection.close()

    threads = [threading.Thread(target=sync, args=(seller_id,)) for seller_id in sellers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert outcomes == dict.fromkeys(sellers, "succeeded")
    with tenant_context(tenant):
        assert MLItem.objects.count() == LIMIT
