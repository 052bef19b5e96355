"""What the subscription allows through the API: read-only stores read, blocked ones do not."""

from __future__ import annotations

import pytest

from billing.models import Plan
from tests.api.conftest import api_client
from tests.support.billing import subscription_set

pytestmark = pytest.mark.django_db


def test_a_paying_store_reads_and_writes(tenant_a, client_a):
    subscription_set(tenant_a, "active", plan_code="pro")
    assert client_a.get("/api/v1/items/").status_code == 200
    assert client_a.get("/api/v1/subscription/").json()["plan"]["code"] == "pro"


def test_a_read_only_store_reads_but_writes_are_402(tenant_a, client_a):
    subscription_set(tenant_a, "unpaid", plan_code="pro")
    assert client_a.get("/api/v1/items/").status_code == 200
    assert client_a.post("/api/v1/sync-runs/").status_code == 402


def test_a_blocked_store_gets_402_on_reads(tenant_a, client_a):
    subscription_set(tenant_a, "canceled", plan_code="pro")
    for path in ["/api/v1/overview/", "/api/v1/items/", "/api/v1/orders/", "/api/v1/questions/"]:
        assert client_a.get(path).status_code == 402


def test_the_subscription_says_read_only_and_why(tenant_a, client_a):
    subscription_set(tenant_a, "unpaid", plan_code="pro")
    body = client_a.get("/api/v1/subscription/").json()
    assert body["access"] == "read_only"
    assert body["status"] == "unpaid"
    assert body["upgrade_url"].endswith("/billing/")
    assert body["limits"]["api_calls_per_day"] == Plan.objects.get(code="pro").api_calls_per_day


def test_a_blocked_store_still_reads_its_subscription(tenant_a, client_a):
    subscription_set(tenant_a, "canceled", plan_code="pro")
    response = client_a.get("/api/v1/subscription/")
    assert response.status_code == 200
    assert response.json()["access"] == "blocked"


def test_402_is_in_the_error_shape(tenant_a, client_a):
    subscription_set(tenant_a, "unpaid", plan_code="pro")
    body = client_a.post("/api/v1/sync-runs/").json()
    assert body["error"]["code"] == "subscription_read_only"
    assert body["error"]["details"]["upgrade_url"].endswith("/billing/")


def test_privacy_requests_are_taken_whatever_the_subscription(tenant_a, token_a):
    subscription_set(tenant_a, "canceled", plan_code="pro")
    response = api_client(tenant_a, token_a).post(
        "/api/v1/privacy-requests/", {"kind": "erasure"}, content_type="application/json"
    )
    assert response.status_code == 201
