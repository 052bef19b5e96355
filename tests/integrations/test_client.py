"""The ML client under faults injected into the sandbox, on a fake clock (no real sleeping)."""

import random

import pytest
from django_tenants.utils import tenant_context

from core.metrics import metric_read
from integrations.mercadolivre.breaker import Breaker
from integrations.mercadolivre.client import BACKOFF_CAPS, MLClient
from integrations.mercadolivre.errors import (
    MLCircuitOpen,
    MLForbidden,
    MLMalformedResponse,
    MLNotFound,
    MLRateLimited,
    MLUnavailable,
)
from integrations.mercadolivre.priorities import Priority
from tenants.models import Tenant
from tests.integrations.support import connect

pytestmark = pytest.mark.usefixtures("committed_db")


@pytest.fixture
def store(sandbox, settings):
    settings.ML_RATE_LIMIT_PER_MINUTE = settings.ML_SELLER_RATE_LIMIT_PER_MINUTE = 100_000
    tenant = Tenant.objects.get(schema_name="tenant-a")
    connect(sandbox, tenant)
    with tenant_context(tenant):
        yield tenant


def client(clock, priority=Priority.MEDIUM, **options):
    return MLClient.for_current_store(
        priority=priority, clock=clock, rng=random.Random(4), **options
    )


def test_a_call_returns_data_and_records_its_metric(store, clock):
    key = "endpoint=/users/me,status=2xx,tenant=tenant-a"
    before = metric_read("ml_api_calls").get(key, 0)  # earlier tests share the minute

    response = client(clock).get("/users/me")

    assert response.status == 200
    assert response.data["nickname"]
    assert metric_read("ml_api_calls").get(key, 0) - before == 1


def test_429s_are_retried_honouring_retry_after_then_raised(store, clock, sandbox):
    sandbox.faults(rate_limit_fraction=1.0, retry_after=7)

    with pytest.raises(MLRateLimited) as raised:
        client(clock).get("/users/me")

    assert clock.slept == [7.0] * len(BACKOFF_CAPS)
    assert raised.value.status == 429
    assert Breaker("api", clock=clock).state() == "closed"  # rate limits are not outages


def test_429s_without_retry_after_back_off_exponentially_with_jitter(store, clock, sandbox):
    sandbox.faults(rate_limit_fraction=1.0)

    with pytest.raises(MLRateLimited):
        client(clock).get("/users/me")

    assert len(clock.slept) == len(BACKOFF_CAPS)
    for slept, cap in zip(clock.slept, BACKOFF_CAPS, strict=True):
        assert cap / 2 <= slept <= cap


def test_a_transient_5xx_is_retried_and_succeeds(store, clock, sandbox):
    sandbox.faults(error_fraction=1.0)
    sandbox_calls = []

    class HealingClock(type(clock)):
        def sleep(self, seconds):
            super().sleep(seconds)
            sandbox_calls.append(seconds)
            sandbox.faults(error_fraction=0.0)

    healing = HealingClock()
    response = client(healing).get("/users/me")

    assert response.status == 200
    assert len(sandbox_calls) == 1


def test_repeated_5xx_open_the_breaker_which_then_fails_fast(store, clock, sandbox):
    sandbox.faults(error_fraction=1.0)

    with pytest.raises(MLCircuitOpen) as raised:
        client(clock).get("/users/me")
    # Five failures; the fifth opened the breaker and ended the call without a backoff.
    assert len(clock.slept) == 4
    assert raised.value.retry_after == 300
    sandbox.faults(error_fraction=0.0)
    with pytest.raises(MLCircuitOpen):
        client(clock).get("/users/me")  # ML is fine again, but we wait out the breaker

    clock.advance(300)
    assert client(clock).get("/users/me").status == 200  # the probe closes it
    assert Breaker("api", clock=clock).state() == "closed"


def test_an_outage_with_html_error_pages_is_a_typed_unavailable(store, clock, sandbox):
    sandbox.faults(outage=True)

    with pytest.raises(MLUnavailable) as raised:
        client(clock, max_wait=0).get("/users/me")

    assert "non-JSON" in raised.value.message or isinstance(raised.value, MLCircuitOpen)


def test_malformed_json_is_a_typed_error_and_not_retried(store, clock, sandbox):
    sandbox.faults(malformed_json=True)

    with pytest.raises(MLMalformedResponse):
        client(clock).get("/users/me")
    assert clock.slept == []


def test_partial_orders_come_back_flagged(store, clock, sandbox):
    seller_id = sandbox.sellers[0].id
    orders = client(clock).get("/orders/search", {"seller": seller_id}).data["results"]
    sandbox.faults(partial_orders=True)

    response = client(clock).get(f"/orders/{orders[0]['id']}")

    assert response.partial
    assert response.missing == ("buyer",)
    assert "buyer" not in response.data


def test_another_sellers_item_is_forbidden_and_unknown_ids_not_found(store, clock, sandbox):
    tenant_b = Tenant.objects.get(schema_name="tenant-b")
    other_seller = connect(sandbox, tenant_b, seller_index=1)
    with tenant_context(tenant_b):
        their_item = client(clock).get(f"/users/{other_seller}/items/search").data["results"][0]

    # The connect above ran a request in this thread, which left the connection on public.
    with tenant_context(store):
        with pytest.raises(MLForbidden):
            client(clock).get(f"/items/{their_item}")
        with pytest.raises(MLNotFound):
            client(clock).get("/items/MLB0000000000")
    assert clock.slept == []


def test_under_a_tight_quota_critical_calls_go_first(store, clock, settings):
    settings.ML_RATE_LIMIT_PER_MINUTE = 75  # 60 a minute, a 10-call burst
    low = client(clock, Priority.LOW, max_wait=0)
    critical = client(clock, Priority.CRITICAL, max_wait=0)
    while True:
        try:
            low.get("/users/me")
        except MLRateLimited:
            break

    assert critical.get("/users/me").status == 200
    with pytest.raises(MLRateLimited, match="LOW"):
        low.get("/users/me")
