"""The API's lists name each row's Mercado Livre account and filter by one; the overview breaks
its figures down per account; another store's accounts never show."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import tenant_context

from integrations.mercadolivre.models import MLOrder
from integrations.mercadolivre.selectors.sales import seller_day_start, seller_today
from tests.api.conftest import (
    api_client,
    make_items,
    make_orders,
    make_questions,
)
from tests.api.test_schema import SPEC
from tests.support.ml import account_add

pytestmark = pytest.mark.django_db

MAIN, OUTLET, OTHER_STORE = 111, 112, 222
LISTS = ["/api/v1/items/", "/api/v1/orders/", "/api/v1/questions/"]


@pytest.fixture
def two_accounts(tenant_a, tenant_b):
    """Store A: 2 rows of each kind from its main account, 3 from its outlet, 1 of no account;
    store B: rows of its own account."""
    main = account_add(tenant_a, ml_user_id=MAIN, nickname="LOJA_PRINCIPAL")
    outlet = account_add(tenant_a, ml_user_id=OUTLET, nickname="LOJA_OUTLET")
    make_items(tenant_a, 2, account=main, available_quantity=0)
    make_items(tenant_a, 3, start=10, account=outlet, available_quantity=0)
    make_items(tenant_a, 1, start=20, available_quantity=0)
    make_orders(tenant_a, 2, account=main)
    make_orders(tenant_a, 3, start=10, account=outlet)
    make_orders(tenant_a, 1, start=20)
    make_questions(tenant_a, 2, account=main)
    make_questions(tenant_a, 3, start=10, account=outlet)
    make_questions(tenant_a, 1, start=20)
    other = account_add(tenant_b, ml_user_id=OTHER_STORE, nickname="LOJA_B")
    make_items(tenant_b, 4, start=100, account=other)
    make_orders(tenant_b, 4, start=100, account=other)
    make_questions(tenant_b, 4, start=100, account=other)
    return tenant_a


def results(response):
    assert response.status_code == 200, response.content
    return response.json()["results"]


@pytest.mark.parametrize("path", LISTS)
def test_each_row_names_its_account(two_accounts, client_a, path):
    rows = results(client_a.get(path))

    accounts = [row["account"] for row in rows]
    assert accounts.count({"ml_user_id": MAIN, "nickname": "LOJA_PRINCIPAL"}) == 2
    assert accounts.count({"ml_user_id": OUTLET, "nickname": "LOJA_OUTLET"}) == 3
    assert accounts.count(None) == 1
    assert len(rows) == 6


@pytest.mark.parametrize("path", LISTS)
def test_the_account_filter_keeps_that_accounts_rows(two_accounts, client_a, path):
    rows = results(client_a.get(f"{path}?account={OUTLET}"))

    assert len(rows) == 3
    assert {row["account"]["ml_user_id"] for row in rows} == {OUTLET}


@pytest.mark.parametrize("path", LISTS)
def test_another_stores_account_matches_nothing(two_accounts, client_a, path):
    assert results(client_a.get(f"{path}?account={OTHER_STORE}")) == []
    assert results(client_a.get(f"{path}?account=999")) == []


@pytest.mark.parametrize("value", ["abc", "1.5", "0", "-3", "9" * 20])
@pytest.mark.parametrize("path", LISTS)
def test_an_account_that_is_not_an_ml_user_id_is_400(client_a, path, value):
    response = client_a.get(f"{path}?account={value}")

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert "account" in error["details"]["fields"]


def test_one_row_names_its_account(two_accounts, client_a):
    orders = results(client_a.get(f"/api/v1/orders/?account={OUTLET}"))
    one = client_a.get(f"/api/v1/orders/{orders[0]['id']}/").json()
    assert one["account"] == {"ml_user_id": OUTLET, "nickname": "LOJA_OUTLET"}


@pytest.mark.parametrize("path", LISTS)
def test_naming_the_account_costs_the_same_queries_whatever_the_rows(two_accounts, client_a, path):
    client_a.get(path)
    with CaptureQueriesContext(connection) as few:
        results(client_a.get(path))
    third = account_add(two_accounts, ml_user_id=113, nickname="LOJA_TERCEIRA")
    make_items(two_accounts, 30, start=200, account=third)
    make_orders(two_accounts, 30, start=200, account=third)
    make_questions(two_accounts, 30, start=200, account=third)
    with CaptureQueriesContext(connection) as many:
        rows = results(client_a.get(path))
    assert len(many) == len(few)
    assert len(rows) == 36
    accounts = [row["account"] for row in rows]
    assert accounts.count({"ml_user_id": 113, "nickname": "LOJA_TERCEIRA"}) == 30


def test_the_overview_breaks_the_figures_down_per_account(two_accounts, client_a):
    with tenant_context(two_accounts):
        # The accounts' orders today (the one of no account stays in January, out of the
        # periods); one of the outlet's cancelled, so no sale.
        noon = seller_day_start(seller_today()) + timedelta(hours=12)
        MLOrder.objects.filter(account__isnull=False).update(date_created=noon)
        MLOrder.objects.filter(pk=2_000_000_011).update(status="cancelled")
    body = client_a.get("/api/v1/overview/").json()

    accounts = body["accounts"]
    assert [(a["ml_user_id"], a["nickname"]) for a in accounts] == [
        (MAIN, "LOJA_PRINCIPAL"),
        (OUTLET, "LOJA_OUTLET"),
    ]
    outlet = accounts[1]
    assert (outlet["items"], outlet["out_of_stock"], outlet["open_questions"]) == (3, 3, 3)
    assert outlet["status"] == "active"
    # Every row here belongs to an account but one of each kind: the accounts' figures add up
    # to the store's, less that row.
    for name in ("items", "out_of_stock", "open_questions"):
        assert sum(a[name] for a in accounts) == body[name] - 1, name
    # The order of no account is dated outside every period: the sales add up exactly.
    for period in ("today", "last_7_days", "last_30_days"):
        for figure in ("orders", "revenue_cents"):
            store = body["sales"][period][figure]
            assert sum(a["sales"][period][figure] for a in accounts) == store
    assert outlet["sales"]["today"]["orders"] == 2


def test_the_overview_of_store_b_shows_its_own_account_only(two_accounts, tenant_b, token_b):
    body = api_client(tenant_b, token_b).get("/api/v1/overview/").json()
    assert [a["ml_user_id"] for a in body["accounts"]] == [OTHER_STORE]
    assert body["accounts"][0]["items"] == body["items"] == 4


def test_the_schema_documents_the_account_field_and_filter():
    for path, name in [
        ("/api/v1/items/", "Item"),
        ("/api/v1/orders/", "Order"),
        ("/api/v1/questions/", "Question"),
    ]:
        parameters = {p["name"]: p for p in SPEC["paths"][path]["get"]["parameters"]}
        assert parameters["account"]["schema"]["type"] == "integer", path
        field = SPEC["components"]["schemas"][name]["properties"]["account"]
        assert field["nullable"] is True
        assert field["allOf"] == [{"$ref": "#/components/schemas/AccountRef"}]
    assert set(SPEC["components"]["schemas"]["AccountRef"]["properties"]) == {
        "ml_user_id",
        "nickname",
    }
    overview = SPEC["components"]["schemas"]["Overview"]["properties"]["accounts"]
    assert overview["items"] == {"$ref": "#/components/schemas/AccountFigures"}
