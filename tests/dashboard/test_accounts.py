"""A store with several Mercado Livre accounts: lists name each row's account and filter by one,
the CSV carries it, the overview breaks its figures down per account; another store's accounts
never show."""

from __future__ import annotations

from typing import NamedTuple

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import tenant_context

from integrations.mercadolivre.models import (
    MLAccount,
    MLAccountStatus,
    MLItem,
    MLOrder,
    SyncKind,
    SyncRun,
)
from integrations.mercadolivre.selectors.accounts import accounts_listed
from integrations.mercadolivre.selectors.sales import (
    overview_figures,
    sales_summary,
    store_counts,
)
from tenants.models import Tenant
from tests.dashboard.support import (
    account_connect,
    items_seed,
    noon_today,
    orders_seed,
    questions_seed,
)
from tests.support.clients import store_client
from tests.support.ml import account_add

pytestmark = pytest.mark.django_db

MAIN, OUTLET, OTHER_STORE = 111, 112, 222


def seed_account(tenant, account, marker: str, *, first_id: int, items: int = 3) -> None:
    seeded = items_seed(tenant, items, prefix=marker, account=account, available_quantity=0)
    orders_seed(
        tenant,
        2,
        first_id=first_id,
        nickname=f"BUYER{marker}",
        account=account,
        created=noon_today(),
        total_cents=10_000,
    )
    questions_seed(
        tenant,
        2,
        first_id=first_id,
        text=f"PERGUNTA{marker}",
        item_id=seeded[0].pk,
        account=account,
    )


@pytest.fixture
def two_accounts(tenant_a, tenant_b):
    """Store A with a main account and an outlet; store B with an account of its own."""
    main = account_connect(tenant_a, ml_user_id=MAIN)
    outlet = account_add(tenant_a, ml_user_id=OUTLET, nickname="LOJA_OUTLET")
    seed_account(tenant_a, main, "MAIN", first_id=1_000_000)
    seed_account(tenant_a, outlet, "OUTL", first_id=1_100_000, items=4)
    other = account_connect(tenant_b, ml_user_id=OTHER_STORE)
    seed_account(tenant_b, other, "BBBB", first_id=2_000_000)
    return tenant_a


class Listed(NamedTuple):
    """What a list shows of the two accounts' seeded rows: a marker of each account's rows, how
    a row names the outlet account, and how many rows the outlet filter leaves."""

    main: str
    outlet: str
    outlet_account: str
    outlet_total: int


LISTS = {
    "/products/": Listed("MAIN produto", "OUTL produto", '<td class="account">LOJA_OUTLET</td>', 4),
    "/orders/": Listed("BUYERMAIN", "BUYEROUTL", '<td class="account">LOJA_OUTLET</td>', 2),
    "/questions/": Listed(
        "PERGUNTAMAIN", "PERGUNTAOUTL", '<span class="account">LOJA_OUTLET</span>', 2
    ),
}


@pytest.mark.parametrize("path", LISTS)
def test_lists_show_every_accounts_rows_with_the_account(two_accounts, path):
    html = store_client(two_accounts, login=True).get(path).content.decode()

    listed = LISTS[path]
    assert listed.main in html
    assert listed.outlet in html
    assert listed.outlet_account in html
    assert f'class="account">SELLER{MAIN}<' in html
    assert f'<option value="{OUTLET}">LOJA_OUTLET</option>' in html
    assert "BBBB" not in html
    assert f"SELLER{OTHER_STORE}" not in html


@pytest.mark.parametrize("path", LISTS)
def test_the_account_filter_shows_that_accounts_rows_only(two_accounts, path):
    response = store_client(two_accounts, login=True).get(f"{path}?account={OUTLET}")

    html = response.content.decode()
    listed = LISTS[path]
    assert listed.outlet in html
    assert listed.main not in html
    assert f'<option value="{OUTLET}" selected>' in html
    if path == "/questions/":
        assert response.context["view"].open.total == listed.outlet_total
    else:
        assert response.context["page"].total == listed.outlet_total


@pytest.mark.parametrize("value", ["abc", str(OTHER_STORE), "9" * 30, "-1"])
@pytest.mark.parametrize("path", LISTS)
def test_an_account_the_store_does_not_hold_is_an_error_and_the_list_shows_its_own(
    two_accounts, path, value
):
    response = store_client(two_accounts, login=True).get(f"{path}?account={value}")

    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="id_account_errors"' in html
    assert "Esta loja não tem a conta do Mercado Livre" in html
    listed = LISTS[path]
    assert listed.main in html
    assert listed.outlet in html
    assert "BBBB" not in html


def test_a_store_of_one_account_shows_no_account_column_or_select_but_filters(tenant_a):
    account = account_connect(tenant_a, ml_user_id=MAIN)
    seed_account(tenant_a, account, "MAIN", first_id=1_000_000)
    # Rows of no account: a store's rows from before it had an account row.
    seed_account(tenant_a, None, "NONE", first_id=1_200_000)
    client = store_client(tenant_a, login=True)
    for path, listed in LISTS.items():
        marker = listed.main
        html = client.get(path).content.decode()
        assert 'class="account"' not in html, path
        assert 'name="account"' not in html, path
        assert marker in html
        filtered = client.get(f"{path}?account={MAIN}").content.decode()
        assert marker in filtered, path
        assert marker.replace("MAIN", "NONE") not in filtered, path
    assert 'id="accounts-breakdown"' not in client.get("/").content.decode()


def test_a_disconnected_accounts_rows_are_kept_listed_and_filterable(two_accounts):
    with tenant_context(two_accounts):
        MLAccount.objects.filter(ml_user_id=OUTLET).update(status=MLAccountStatus.DISCONNECTED)
    client = store_client(two_accounts, login=True)

    html = client.get("/orders/").content.decode()
    assert f'<option value="{OUTLET}">LOJA_OUTLET (Desconectado)</option>' in html
    assert '<td class="account">LOJA_OUTLET</td>' in html
    filtered = client.get(f"/orders/?account={OUTLET}").context["page"]
    assert {order.buyer_nickname for order in filtered.rows} == {"BUYEROUTL"}


def test_detail_pages_name_the_account(two_accounts):
    client = store_client(two_accounts, login=True)

    item = client.get("/products/MLBOUTL0000000/").content.decode()
    order = client.get("/orders/1100000/").content.decode()

    assert f'id="item-account">LOJA_OUTLET <span class="muted small">({OUTLET})</span>' in item
    assert f'id="order-account">LOJA_OUTLET <span class="muted small">({OUTLET})</span>' in order


def csv_lines(response) -> list[list[str]]:
    text = b"".join(response.streaming_content).decode().lstrip("\ufeff")
    return [line.split(",") for line in text.splitlines()]


def test_the_orders_csv_carries_the_account_and_honours_the_filter(two_accounts):
    Tenant.objects.filter(pk=two_accounts.pk).update(plan_code="pro")
    client = store_client(two_accounts, login=True)

    every = csv_lines(client.get("/orders/export.csv"))
    assert every[0][-2:] == ["Conta", "ID de usuário ML da conta"]
    by_order = {row[0]: row[-2:] for row in every[1:]}
    assert by_order["1000000"] == [f"SELLER{MAIN}", str(MAIN)]
    assert by_order["1100000"] == ["LOJA_OUTLET", str(OUTLET)]
    assert len(by_order) == 4

    outlet = csv_lines(client.get(f"/orders/export.csv?account={OUTLET}"))
    assert {row[0] for row in outlet[1:]} == {"1100000", "1100001"}
    # Another store's account is not a filter here: the export holds this store's orders.
    theirs = csv_lines(client.get(f"/orders/export.csv?account={OTHER_STORE}"))
    assert {row[0] for row in theirs[1:]} == set(by_order)


def test_the_overview_breakdown_adds_up_to_the_totals(two_accounts):
    with tenant_context(two_accounts):
        accounts = accounts_listed()
        breakdown = overview_figures(accounts=accounts, breakdown=True).by_account
        summary, counts = sales_summary(), store_counts()

    assert [figures.account.ml_user_id for figures in breakdown] == [MAIN, OUTLET]
    for period in range(3):
        assert sum(f.sales.periods[period].orders for f in breakdown) == (
            summary.periods[period].orders
        )
        assert sum(f.sales.periods[period].revenue_cents for f in breakdown) == (
            summary.periods[period].revenue_cents
        )
    assert sum(f.sales.orders_this_month for f in breakdown) == summary.orders_this_month
    assert sum(f.counts.items for f in breakdown) == counts.items == 7
    assert sum(f.counts.out_of_stock for f in breakdown) == counts.out_of_stock == 7
    assert sum(f.counts.open_questions for f in breakdown) == counts.open_questions == 4
    outlet = breakdown[1]
    assert (outlet.counts.items, outlet.sales.periods[0].revenue_cents) == (4, 20_000)


def test_the_overview_shows_each_accounts_figures(two_accounts):
    html = store_client(two_accounts, login=True).get("/").content.decode()

    assert 'id="accounts-breakdown"' in html
    assert f'<tr id="account-{OUTLET}">' in html
    assert f'href="/products/?stock=out&amp;account={OUTLET}">4</a>' in html
    assert f'href="/questions/?account={OUTLET}">2</a>' in html
    assert f'id="account-{OTHER_STORE}"' not in html


def test_the_overview_says_which_account_needs_reconnecting(two_accounts):
    with tenant_context(two_accounts):
        MLAccount.objects.filter(ml_user_id=OUTLET).update(
            status=MLAccountStatus.NEEDS_RECONNECTION
        )
    html = store_client(two_accounts, login=True).get("/").content.decode()

    assert '<span class="account">(LOJA_OUTLET)</span>' in html
    assert '<li class="status-needs_reconnection">LOJA_OUTLET: Precisa reconectar</li>' in html
    assert f'<li class="status-active">SELLER{MAIN}: Conectado</li>' in html


@pytest.mark.parametrize(
    ("path", "marker"),
    [
        ("/", 'id="accounts-breakdown"'),
        (f"/products/?account={OUTLET}", 'class="account"'),
        (f"/orders/?account={OUTLET}", 'class="account"'),
        ("/questions/", 'class="account"'),
    ],
)
def test_naming_and_filtering_accounts_costs_the_same_queries_whatever_the_rows(
    two_accounts, path, marker
):
    client = store_client(two_accounts, login=True)
    client.get(path)
    with CaptureQueriesContext(connection) as few:
        html = client.get(path).content.decode()
    assert marker in html
    with tenant_context(two_accounts):
        outlet = MLAccount.objects.get(ml_user_id=OUTLET)
    more = items_seed(two_accounts, 200, prefix="MORE", account=outlet)
    orders_seed(two_accounts, 200, first_id=5_000_000, nickname="x", account=outlet)
    questions_seed(
        two_accounts, 40, first_id=5_000_000, text="x", item_id=more[0].pk, account=outlet
    )
    with CaptureQueriesContext(connection) as many:
        assert client.get(path).status_code == 200
    assert len(many) == len(few)


def plan_of(queryset) -> str:
    """The plan of ``queryset`` when the planner may neither scan a whole table nor sort: a
    "Sort" left in it means no index gives the rows in the list's order."""
    with connection.cursor() as cursor:
        for setting in ("enable_seqscan", "enable_bitmapscan", "enable_sort"):
            cursor.execute(f"SET LOCAL {setting} = off")
        sql, params = queryset.query.sql_with_params()
        cursor.execute(f"EXPLAIN {sql}", params)
        return "\n".join(row[0] for row in cursor.fetchall())


def test_one_accounts_pages_read_their_own_index(two_accounts):
    with tenant_context(two_accounts):
        main = MLAccount.objects.get(ml_user_id=MAIN)
    items_seed(two_accounts, 500, prefix="MORE", account=main)
    orders_seed(two_accounts, 500, first_id=5_000_000, nickname="x", account=main)
    with tenant_context(two_accounts):
        outlet = MLAccount.objects.get(ml_user_id=OUTLET)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE mercadolivre_mlitem")
            cursor.execute("ANALYZE mercadolivre_mlorder")
        orders = plan_of(
            MLOrder.objects.filter(account_id=outlet.pk)
            .order_by("-date_created", "-id")
            .values("id")[:51]
        )
        items = plan_of(
            MLItem.objects.filter(account_id=outlet.pk)
            .order_by("-last_updated", "-id")
            .values("id", "last_updated")[:51]
        )
    assert "mlorder_account_created" in orders
    assert "Sort" not in orders
    assert "mlitem_account_recent" in items
    assert "Sort" not in items


def test_the_sync_page_names_each_runs_account(two_accounts):
    with tenant_context(two_accounts):
        for account in MLAccount.objects.all():
            SyncRun.objects.create(account=account, kind=SyncKind.INITIAL, status="succeeded")
        outlet = MLAccount.objects.get(ml_user_id=OUTLET)
        SyncRun.objects.create(account=outlet, kind=SyncKind.INCREMENTAL)

    page = store_client(two_accounts, login=True).get("/sync/").content.decode()

    assert page.count('class="muted small run-account"') == 3
    assert "LOJA_OUTLET" in page.split('id="sync-running"')[1].split("</p>")[0]


def test_the_overview_names_a_single_accounts_own_status(tenant_a):
    account_connect(tenant_a, ml_user_id=MAIN, status=MLAccountStatus.PAUSED)

    html = store_client(tenant_a, login=True).get("/").content.decode()

    assert '<p class="stat-value status-paused">Pausada</p>' in html
