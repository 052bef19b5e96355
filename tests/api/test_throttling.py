"""Per-plan API limits: calls a day per store, calls a minute per token; 429 + Retry-After."""

from __future__ import annotations

import pytest

from billing.models import Plan
from billing.sync import entitlement_forget
from tests.api.conftest import api_client, token_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def three_calls_a_day(tenant_a, tenant_b):
    Plan.objects.filter(code="starter").update(api_calls_per_day=3)
    entitlement_forget(tenant_a.pk)
    entitlement_forget(tenant_b.pk)


def test_the_daily_limit_comes_from_the_plan(three_calls_a_day, tenant_a, client_a):
    statuses = [client_a.get("/api/v1/items/").status_code for _ in range(4)]

    assert statuses == [200, 200, 200, 429]
    refused = client_a.get("/api/v1/orders/", HTTP_ACCEPT_LANGUAGE="en")
    assert refused.status_code == 429
    error = refused.json()["error"]
    assert error["code"] == "daily_limit_exceeded"
    assert "3 API calls a day" in error["message"]
    assert 0 < int(refused["Retry-After"]) <= 24 * 3600
    assert error["details"]["retry_after"] == int(refused["Retry-After"])


def test_the_daily_limit_counts_per_store(three_calls_a_day, tenant_a, tenant_b, token_a, token_b):
    store_a, store_b = api_client(tenant_a, token_a), api_client(tenant_b, token_b)
    for _ in range(4):
        store_a.get("/api/v1/items/")
    assert store_a.get("/api/v1/items/").status_code == 429
    assert store_b.get("/api/v1/items/").status_code == 200


def test_the_daily_limit_is_shared_by_the_stores_tokens(three_calls_a_day, tenant_a, token_a):
    other = token_for(tenant_a)
    for _ in range(3):
        assert api_client(tenant_a, token_a).get("/api/v1/items/").status_code == 200
    assert api_client(tenant_a, other).get("/api/v1/items/").status_code == 429


def test_the_burst_limit_is_per_token(tenant_a, token_a, settings):
    settings.PEEPERS_API_BURST_PER_MINUTE = 2
    other = token_for(tenant_a)
    client = api_client(tenant_a, token_a)

    assert [client.get("/api/v1/items/").status_code for _ in range(3)] == [200, 200, 429]
    refused = client.get("/api/v1/items/")
    assert refused.json()["error"]["code"] == "burst_limit_exceeded"
    assert 0 < int(refused["Retry-After"]) <= 60
    assert api_client(tenant_a, other).get("/api/v1/items/").status_code == 200


def test_the_subscription_reports_todays_usage(tenant_a, client_a):
    client_a.get("/api/v1/items/")
    client_a.get("/api/v1/items/")
    usage = client_a.get("/api/v1/subscription/").json()["usage"]
    assert usage["api_calls_today"] == 3


def test_strangers_do_not_spend_the_stores_quota(three_calls_a_day, tenant_a, client_a):
    stranger = api_client(tenant_a)
    for _ in range(5):
        assert stranger.get("/api/schema/").status_code == 200
    assert client_a.get("/api/v1/items/").status_code == 200
