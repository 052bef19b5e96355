"""The item scan ends on ML's ``results: null`` (items-y-busquedas: "Cuando llegues al final
recibirás null"), not on a malformed-page error that retries a dead scroll."""

from __future__ import annotations

import pytest
from django_tenants.utils import tenant_context

from integrations.mercadolivre.client import MLClient
from integrations.mercadolivre.models import MLItem, SyncKind, SyncRun
from integrations.mercadolivre.priorities import Priority
from integrations.mercadolivre.sync import items as sync_items
from integrations.mercadolivre.sync import ml_sync_initial
from tests.integrations.support import connect

pytestmark = pytest.mark.django_db


def test_a_scan_that_reaches_null_ends_and_finds_what_it_missed(
    sandbox, tenant_a, settings, monkeypatch
):
    settings.ML_RATE_LIMIT_PER_MINUTE = settings.ML_SELLER_RATE_LIMIT_PER_MINUTE = 100_000
    monkeypatch.setattr(sync_items, "ITEMS_SCAN_PAGE", 10)
    seller_id = connect(sandbox, tenant_a)
    with tenant_context(tenant_a):
        outcome = ml_sync_initial(tenant=tenant_a, time_budget=0)
        run = SyncRun.objects.get(kind=SyncKind.INITIAL)
        while run.cursor.get("items", {}).get("seen", 0) < 10:
            outcome = ml_sync_initial(tenant=tenant_a, time_budget=0)
            run.refresh_from_db()
        # Another process read the rest of the scroll (20 items) and died: the next page the
        # sync asks for is the end, ML's null.
        client = MLClient.for_current_store(priority=Priority.MEDIUM)
        scroll_id = run.cursor["items"]["scroll_id"]
        for _ in range(2):
            page = client.get(
                f"/users/{seller_id}/items/search",
                {"search_type": "scan", "scroll_id": scroll_id, "limit": 10},
            ).data
            assert len(page["results"]) == 10

        outcome = ml_sync_initial(tenant=tenant_a)

        run.refresh_from_db()
        assert outcome.status == "succeeded"
        assert run.cursor["items"].get("restarts", 0) == 0  # not taken for a broken scroll
        assert run.cursor["items"]["rescanned"] is True  # the end came short: one more scan
        assert MLItem.objects.count() == 30
