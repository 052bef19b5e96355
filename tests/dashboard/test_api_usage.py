"""The overview's API usage is the plan's quota the REST API enforces: today's calls, per store."""

from __future__ import annotations

import pytest

from billing.models import Plan
from tests.api.conftest import api_client, token_for
from tests.dashboard.support import account_connect
from tests.support.clients import store_client

pytestmark = pytest.mark.django_db


def test_the_overview_counts_this_stores_api_calls_today(tenant_a, tenant_b):
    account_connect(tenant_a, ml_user_id=111)
    token_a, token_b = token_for(tenant_a), token_for(tenant_b)
    for _ in range(3):
        assert api_client(tenant_a, token_a).get("/api/v1/items/").status_code == 200
    assert api_client(tenant_b, token_b).get("/api/v1/items/").status_code == 200
    limit = Plan.objects.get(code=tenant_a.plan_code).api_calls_per_day

    page = store_client(tenant_a, login=True).get("/", headers={"Accept-Language": "en"}).text

    assert "Peepers API calls today (UTC)" in page
    assert f'<meter min="0" max="{limit}" value="3"' in page
