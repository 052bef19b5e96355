"""Dates on a store's pages read day first in the store's time zone whatever the language
(06/12/2026 14:30, never 12/06/2026 2:30 p.m.); the API keeps answering in UTC."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from billing.models import SubscriptionMirror
from integrations.mercadolivre.models import MLAccount
from tests.dashboard.support import account_connect, orders_seed
from tests.support.billing import subscription_set
from tests.support.clients import store_client

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("portuguese")]

SP = ZoneInfo("America/Sao_Paulo")
ENGLISH = {"Accept-Language": "en"}


@pytest.fixture
def client(tenant_a):
    account_connect(tenant_a, ml_user_id=111)
    # 6 December read the American way would be 12 June.
    orders_seed(
        tenant_a, 1, first_id=10, nickname="sixth", created=datetime(2026, 12, 6, 14, 30, tzinfo=SP)
    )
    return store_client(tenant_a, login=True)


@pytest.mark.parametrize("headers", [{}, ENGLISH], ids=["pt-br", "en"])
@pytest.mark.parametrize("path", ["/orders/", "/orders/10/"])
def test_an_order_reads_day_first_with_a_24_hour_clock(client, headers, path):
    page = client.get(path, headers=headers).text

    assert "06/12/2026 14:30" in page
    assert "12/06/2026" not in page
    assert "p.m." not in page


@pytest.mark.parametrize("headers", [{}, ENGLISH], ids=["pt-br", "en"])
def test_a_connection_shows_the_stores_clock_day_first(client, headers):
    MLAccount.objects.update(connected_at=datetime(2026, 12, 7, 1, 30, tzinfo=UTC))

    page = client.get("/settings/mercado-livre/", headers=headers).text

    assert "06/12/2026 22:30" in page  # São Paulo's evening, not UTC's next morning


@pytest.mark.parametrize("headers", [{}, ENGLISH], ids=["pt-br", "en"])
def test_the_billing_page_shows_the_renewal_on_the_stores_calendar_day(tenant_a, headers):
    subscription_set(tenant_a, "active", plan_code="pro")
    SubscriptionMirror.objects.filter(tenant=tenant_a).update(
        current_period_end=datetime(2026, 12, 7, 1, 30, tzinfo=UTC)
    )

    page = store_client(tenant_a, login=True).get("/billing/", headers=headers).text

    assert "<dd>06/12/2026</dd>" in page
    assert "07/12/2026" not in page


def test_the_api_answers_in_utc(client):
    body = client.get("/api/v1/orders/10/").json()

    assert body["date_created"] == "2026-12-06T17:30:00Z"
