"""The billing page promises what the product enforces, in words a seller reads right: one
account, two accounts (never "conta(s)"), and no limit that nothing applies."""

import re

import pytest

from billing.models import Plan
from tests.dashboard.support import account_connect
from tests.support.billing import subscription_set
from tests.support.clients import store_client
from tests.support.i18n import choose_english

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("portuguese")]


def cell(html: str, element_id: str) -> str:
    match = re.search(rf'id="{element_id}">(.*?)</(?:td|dd)>', html, re.S)
    assert match, element_id
    return " ".join(re.sub(r"<[^>]+>", " ", match.group(1)).split())


def test_each_plan_says_how_many_accounts_it_connects_in_singular_or_plural(tenant_a):
    html = store_client(tenant_a, login=True).get("/billing/").text

    assert "1 conta do Mercado Livre" in cell(html, "includes-starter")
    assert "2 contas do Mercado Livre" in cell(html, "includes-pro")
    assert "5 contas do Mercado Livre" in cell(html, "includes-business")
    assert "conta(s)" not in html


def test_the_current_plans_limits_read_in_english_when_chosen(tenant_a):
    subscription_set(tenant_a, "active", plan_code="pro")
    client = store_client(tenant_a, login=True)
    choose_english(client, "/billing/")

    limits = cell(client.get("/billing/").text, "plan-limits")

    assert limits == (
        "20,000 products · 2 Mercado Livre accounts · sync every 15 minutes · "
        "100,000 Peepers API calls a day · CSV export of orders"
    )


def test_a_one_account_plan_reads_in_the_singular(tenant_a):
    Plan.objects.filter(code="starter").update(max_ml_accounts=1, sync_interval_minutes=1)
    client = store_client(tenant_a, login=True)
    choose_english(client, "/billing/")

    starter = cell(client.get("/billing/").text, "includes-starter")

    assert "1 Mercado Livre account ·" in starter
    assert "sync every 1 minute ·" in starter
    assert "CSV" not in starter  # the export is refused on Starter (tests/dashboard)


def test_no_page_shows_a_monthly_order_limit_nothing_enforces(tenant_a):
    Plan.objects.filter(code="starter").update(max_orders_per_month=4321)
    account_connect(tenant_a, ml_user_id=111)
    client = store_client(tenant_a, login=True)

    for path in ("/", "/billing/"):
        html = client.get(path).text
        assert 'id="usage-items"' in html, path
        assert "4.321" not in html, path
        assert "4321" not in html, path
    assert cell(client.get("/billing/").text, "usage-orders-count") == "0"


def test_the_plans_list_no_feature_the_product_does_not_have():
    # "api" was listed for Pro and Business while every plan has the API (api_calls_per_day).
    features = dict(Plan.objects.values_list("code", "features"))

    assert features == {
        "starter": [],
        "pro": ["csv_export"],
        "business": ["csv_export", "priority_support"],
    }
