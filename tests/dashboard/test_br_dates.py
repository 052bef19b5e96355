"""Dates in forms are typed and shown as dd/mm/aaaa whatever the language (never a native date
input, which an English browser renders as mm/dd/yyyy); ISO dates from links still work."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from tests.compliance.dsr_support import days_ago, ddmmyyyy
from tests.dashboard.support import account_connect, orders_seed
from tests.support.clients import store_client

pytestmark = pytest.mark.django_db

SP = ZoneInfo("America/Sao_Paulo")
ENGLISH = {"Accept-Language": "en"}


@pytest.fixture
def orders_client(tenant_a):
    account_connect(tenant_a, ml_user_id=111)
    orders_seed(
        tenant_a, 1, first_id=10, nickname="fourth", created=datetime(2026, 12, 4, 22, 0, tzinfo=SP)
    )
    orders_seed(
        tenant_a, 1, first_id=20, nickname="fifth", created=datetime(2026, 12, 5, 23, 30, tzinfo=SP)
    )
    # 5 December read the American way would be 12 May.
    orders_seed(
        tenant_a, 1, first_id=30, nickname="may", created=datetime(2026, 5, 12, 10, 0, tzinfo=SP)
    )
    return store_client(tenant_a, login=True)


def rows(response) -> list[int]:
    return [order.pk for order in response.context["page"].rows]


@pytest.mark.parametrize("headers", [{}, ENGLISH], ids=["pt-br", "en"])
def test_the_orders_filter_takes_a_day_typed_as_dd_mm_yyyy(orders_client, headers):
    response = orders_client.get(
        "/orders/?date_from=05/12/2026&date_to=05/12/2026", headers=headers
    )

    assert response.status_code == 200
    assert rows(response) == [20]


def test_the_orders_filter_takes_an_iso_day_from_a_link_and_shows_it_as_dd_mm_yyyy(orders_client):
    response = orders_client.get("/orders/?date_from=2026-12-05&date_to=2026-12-05")

    assert rows(response) == [20]
    assert response.text.count('value="05/12/2026"') == 2


@pytest.mark.parametrize("headers", [{}, ENGLISH], ids=["pt-br", "en"])
def test_the_orders_filter_shows_its_dates_as_dd_mm_yyyy_in_any_language(orders_client, headers):
    page = orders_client.get(
        "/orders/?date_from=2026-12-04&date_to=05/12/2026", headers=headers
    ).text

    assert 'type="date"' not in page
    assert 'name="date_from"' in page
    assert 'value="04/12/2026"' in page
    assert 'value="05/12/2026"' in page
    assert 'inputmode="numeric"' in page
    placeholder = "dd/mm/yyyy" if headers else "dd/mm/aaaa"
    assert f'placeholder="{placeholder}"' in page


@pytest.mark.parametrize(
    ("headers", "message"),
    [({}, "Informe a data como dd/mm/aaaa."), (ENGLISH, "Enter a date as dd/mm/yyyy.")],
    ids=["pt-br", "en"],
)
def test_an_impossible_day_is_refused_with_the_expected_shape(orders_client, headers, message):
    response = orders_client.get("/orders/?date_from=31/02/2026", headers=headers)

    assert response.status_code == 200
    page = response.text
    assert 'id="id_date_from_errors"' in page
    assert message in page
    assert 'value="31/02/2026"' in page
    assert sorted(rows(response)) == [10, 20, 30]  # the bad bound filters nothing


def test_the_buyer_request_form_shows_its_date_as_dd_mm_yyyy_in_english(tenant_a):
    page = store_client(tenant_a, login=True).get("/privacy/", headers=ENGLISH).text

    assert 'id="buyer-request-form"' in page
    assert 'type="date"' not in page
    assert 'inputmode="numeric"' in page
    assert f'value="{ddmmyyyy(days_ago(0))}"' in page
    assert 'placeholder="dd/mm/yyyy"' in page


def test_the_buyer_request_form_refuses_an_impossible_day_with_the_expected_shape(tenant_a):
    response = store_client(tenant_a, login=True).post(
        "/privacy/buyer-requests",
        {
            "buyer": "123456",
            "kind": "access",
            "channel": "ML message",
            "contact_email": "",
            "received_on": "31/02/2026",
        },
    )

    assert response.status_code == 400
    assert "Informe a data como dd/mm/aaaa." in response.text
