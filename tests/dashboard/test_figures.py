"""The overview's figures by the seller's calendar days, and the listings search (page and API)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import tenant_context

from integrations.mercadolivre.models import MLItem
from integrations.mercadolivre.search import items_search, title_query
from integrations.mercadolivre.selectors.catalogue import ProductFilters, products_filtered
from integrations.mercadolivre.selectors.sales import (
    sales_summary,
    store_counts,
)
from tests.dashboard.support import account_connect, items_seed, noon_today, orders_seed
from tests.support.clients import store_client

pytestmark = pytest.mark.django_db

SP = ZoneInfo("America/Sao_Paulo")
# The 31st: the month began 30 days ago, one day before the 30-day chart.
NOW = datetime(2026, 12, 31, 15, 0, tzinfo=SP)


# (seller's date and time, status, total): what each order tests.
SALES = [
    # 23:30 in São Paulo is 02:30 UTC the next day: still the seller's 30th.
    ((2026, 12, 30, 23, 30), "paid", 1_000),
    # 00:00 of the 31st, the first instant of today.
    ((2026, 12, 31, 0, 0), "paid", 2_000),
    # Not paid yet: an order, but no revenue. Cancelled: neither.
    ((2026, 12, 31, 9, 0), "payment_required", 4_000),
    ((2026, 12, 31, 9, 0), "cancelled", 8_000),
    # Six days ago (in 7 days), 29 days ago (in 30 days, the chart's first bar), 30 days ago
    # (this month, the 1st, but out of the 30 days), and the month before.
    ((2026, 12, 25, 12, 0), "paid", 16_000),
    ((2026, 12, 2, 0, 0), "paid", 32_000),
    ((2026, 12, 1, 0, 0), "paid", 64_000),
    ((2026, 11, 30, 23, 59), "paid", 128_000),
    # Tomorrow (a clock ahead): counted nowhere.
    ((2027, 1, 1, 0, 0), "paid", 256_000),
]


def test_sales_fall_in_the_sellers_days_and_periods(tenant_a, tenant_b):
    for n, (moment, status, total) in enumerate(SALES, start=1):
        created = datetime(*moment, tzinfo=SP)
        orders_seed(
            tenant_a, 1, first_id=n, nickname="a", created=created, status=status, total_cents=total
        )
    orders_seed(tenant_b, 5, first_id=100, nickname="b", created=NOW - timedelta(hours=1))

    with tenant_context(tenant_a), CaptureQueriesContext(connection) as captured:
        summary = sales_summary(now=NOW)
    selects = [q for q in captured.captured_queries if not q["sql"].startswith("SET ")]
    assert len(selects) == 1

    periods = {p.key: (p.orders, p.revenue_cents) for p in summary.periods}
    assert periods == {
        "today": (2, 2_000),
        "7d": (4, 2_000 + 1_000 + 16_000),
        "30d": (5, 2_000 + 1_000 + 16_000 + 32_000),
    }
    assert summary.orders_this_month == 6
    assert len(summary.days) == 30
    assert summary.days[0].day == datetime(2026, 12, 2).date()
    assert summary.days[-1].day == NOW.date()
    by_day = {d.day.day: (d.orders, d.revenue_cents) for d in summary.days if d.orders}
    assert by_day == {2: (1, 32_000), 25: (1, 16_000), 30: (1, 1_000), 31: (2, 2_000)}
    assert summary.peak_revenue_cents == 32_000


def test_store_counts_leave_closed_listings_out_of_stock_outs(tenant_a, tenant_b):
    items_seed(tenant_a, 3, prefix="A", available_quantity=0)
    items_seed(tenant_a, 2, prefix="A", start=10, available_quantity=0, status="closed")
    items_seed(tenant_a, 4, prefix="A", start=20, available_quantity=5)
    items_seed(tenant_b, 7, prefix="B", available_quantity=0)
    with tenant_context(tenant_a):
        counts = store_counts()
    assert (counts.items, counts.out_of_stock) == (9, 3)


def test_the_overview_counts_the_months_orders(tenant_a):
    account_connect(tenant_a, ml_user_id=111)
    orders_seed(tenant_a, 3, first_id=1, nickname="a", created=noon_today())
    html = store_client(tenant_a, login=True).get("/").content.decode()
    assert 'id="usage-orders-count">3<' in html


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("camiseta", {"MLBA0000000", "MLBA0000001"}),
        ("CAMI azul", {"MLBA0000000"}),  # every word, each a word's beginning, any case
        ("azul cami", {"MLBA0000000"}),
        ("seta", set()),  # inside a word: not a word's beginning
        ("ergonômica", {"MLBA0000002"}),
        ("SKU-A-3", {"MLBA0000003"}),  # the SKU, exactly
        ("sku-a-3 extra", set()),
        ("   ", {"MLBA0000000", "MLBA0000001", "MLBA0000002", "MLBA0000003"}),
        # Text-search operators are only text: no error, no match.
        ("& ! | :* ( ) <-> '", set()),
        ("!nike & azul:*", {"MLBA0000000"}),
        ("':*", set()),
    ],
)
def test_search_finds_title_words_ids_and_skus(tenant_a, tenant_b, text, expected):
    items_seed(tenant_a, 1, prefix="A", title="Camiseta Azul Nike")
    items_seed(tenant_a, 1, prefix="A", start=1, title="Camiseta Preta Olympikus")
    items_seed(tenant_a, 1, prefix="A", start=2, title="Cadeira Ergonômica Reforçada")
    items_seed(tenant_a, 1, prefix="A", start=3, title="Panela Inox")
    items_seed(tenant_b, 2, prefix="B", title="Camiseta Azul Nike")
    with tenant_context(tenant_a):
        found = set(items_search(MLItem.objects.all(), text).values_list("pk", flat=True))
        page = set(products_filtered(filters=ProductFilters(q=text)).values_list("pk", flat=True))
    assert found == page == expected


def test_title_query_keeps_words_only():
    assert title_query("Cami-seta  AZUL!") == "cami:* & seta:* & azul:*"
    assert title_query("& | ! :* ()") == ""
    assert title_query(" ".join(f"w{n}" for n in range(20))).count(":*") == 8


def test_the_search_reads_the_title_index(tenant_a):
    # A word few titles have: for one every row has, another index serves as well.
    items_seed(tenant_a, 300, prefix="A")
    items_seed(tenant_a, 3, prefix="A", start=300, title="Panela Inox")
    with tenant_context(tenant_a), connection.cursor() as cursor:
        cursor.execute("ANALYZE mercadolivre_mlitem")
        # Left only the scans that use a condition, the plan shows which index answers it.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
        query = items_search(MLItem.objects.only("pk").order_by(), "panela")
        sql, params = query.query.sql_with_params()
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "Bitmap Index Scan on mlitem_title_search" in plan


def test_an_ml_item_id_is_found_in_any_case(tenant_a):
    items_seed(tenant_a, 2, prefix="A")
    with tenant_context(tenant_a):
        MLItem.objects.filter(pk="MLBA0000001").update(id="MLB1001")
        found = items_search(MLItem.objects.all(), " mlb1001 ")
        assert list(found.values_list("pk", flat=True)) == ["MLB1001"]


def test_the_products_page_and_the_api_find_the_same_listings(tenant_a):
    account_connect(tenant_a, ml_user_id=111)
    items_seed(tenant_a, 1, prefix="A", title="Fone de Ouvido Bluetooth")
    items_seed(tenant_a, 1, prefix="A", start=1, title="Fone de Ouvido com fio")
    client = store_client(tenant_a, login=True)
    page = client.get("/products/?q=ouvido+blue").content.decode()
    assert "Fone de Ouvido Bluetooth" in page
    assert "Fone de Ouvido com fio" not in page
    rows = client.get("/api/v1/items/?q=ouvido+blue", HTTP_ACCEPT="application/json").json()
    assert [row["title"] for row in rows["results"]] == ["Fone de Ouvido Bluetooth"]


def test_the_api_overview_gives_the_pages_figures_for_its_store_only(tenant_a, tenant_b):
    account_connect(tenant_a, ml_user_id=111)
    orders_seed(tenant_a, 3, first_id=1, nickname="a", total_cents=10_000, created=noon_today())
    orders_seed(tenant_a, 1, first_id=10, nickname="a", status="cancelled", created=noon_today())
    items_seed(tenant_a, 4, prefix="A", available_quantity=0)
    orders_seed(tenant_b, 7, first_id=100, nickname="b", total_cents=99_900, created=noon_today())
    items_seed(tenant_b, 9, prefix="B")
    client = store_client(tenant_a, login=True)

    body = client.get("/api/v1/overview/", HTTP_ACCEPT="application/json").json()
    assert body["sales"]["today"] == {"orders": 3, "revenue_cents": 30_000}
    assert body["sales"]["last_30_days"] == {"orders": 3, "revenue_cents": 30_000}
    assert len(body["days"]) == 30
    assert body["days"][-1]["orders"] == 3
    assert (body["items"], body["out_of_stock"], body["orders_this_month"]) == (4, 4, 3)
    assert body["ml_account"]["ml_user_id"] == 111
    assert body["last_sync"] is None

    # The subscription's usage counts the month's orders the same way.
    usage = client.get("/api/v1/subscription/", HTTP_ACCEPT="application/json").json()["usage"]
    assert usage["orders_this_month"] == 3

    with CaptureQueriesContext(connection) as few:
        client.get("/api/v1/overview/")
    orders_seed(tenant_a, 300, first_id=1000, nickname="a", created=noon_today())
    with CaptureQueriesContext(connection) as many:
        client.get("/api/v1/overview/")
    assert len(many) == len(few)


def test_the_api_overview_of_a_store_without_mercado_livre(tenant_a):
    body = store_client(tenant_a, login=True).get("/api/v1/overview/").json()
    assert body["ml_account"] is None
    assert body["sales"]["today"] == {"orders": 0, "revenue_cents": 0}


def test_the_billing_page_shows_the_plans_usage_as_the_overview_does(tenant_a, tenant_b):
    account_connect(tenant_a, ml_user_id=111)
    items_seed(tenant_a, 4, prefix="A")
    orders_seed(tenant_a, 2, first_id=1, nickname="a", created=noon_today())
    items_seed(tenant_b, 9, prefix="B")
    client = store_client(tenant_a, login=True)
    for path in ("/", "/billing/"):
        html = client.get(path).content.decode()
        assert 'aria-labelledby="usage-items"></meter> 4 /' in html, path
        assert 'id="usage-orders-count">2<' in html, path
    # The plans' limits grouped as the seller reads numbers ("1.000 produtos").
    assert re.search(r"\b\d{1,3}(\.\d{3})+ produtos", html)
