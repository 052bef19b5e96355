"""Every filter of the big lists reads an index in the list's order: with sequential scans and
sorts priced out, the page's query plan still reads no table in full and sorts nothing (what
keeps a page fast at 10,000 stores and millions of inbox rows). The inbox and Stripe event
searches match exact values through an index and sort only what they found; the store search
also matches parts of names and e-mails, a scan of at most some 10,000 short rows."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import urlencode

import pytest
from django.db import connection
from django.utils import timezone

from tests.staff_admin import rows


def last_week(field: str) -> str:
    """The date filter's "Past 7 days" link."""
    today = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    since, until = today - timedelta(days=7), today + timedelta(days=1)
    return "?" + urlencode({f"{field}__gte": str(since), f"{field}__lt": str(until)})


FULL_SORT = re.compile(r"(?<!Incremental )Sort  \(")


def page_plan(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_sort = off")
    return str(response.context["cl"].result_list.explain())


def assert_indexed(plan: str, *, ordered: bool = True) -> None:
    assert "Seq Scan" not in plan, plan
    if ordered:
        assert not FULL_SORT.search(plan), plan


@pytest.mark.parametrize(
    "query",
    [
        "",
        "?status__exact=suspended",
        "?plan_code=pro",
        "?subscription=past_due",
        "?subscription=none",
        "?ml_connection=needs_reconnection",
        "?ml_connection=none",
    ],
)
def test_store_list(staff_client, query):
    rows.stores(50)

    assert_indexed(page_plan(staff_client, f"/admin/tenants/tenant/{query}"))


@pytest.mark.parametrize(
    "query",
    [
        "",
        "?status__exact=dead",
        "?topic=items",
        last_week("arrived_at"),
        "?q=/orders/2000000123",
        "?q=1001",
        "?tenant__id__exact=1",
    ],
)
def test_ml_inbox(staff_client, tenant_a, query):
    rows.notifications(50, tenant=tenant_a)

    plan = page_plan(staff_client, f"/admin/integrations/mlnotification/{query}")

    assert_indexed(plan, ordered="q=" not in query)


@pytest.mark.parametrize(
    "query",
    [
        "",
        "?status__exact=dead",
        "?type=invoice.paid",
        last_week("received_at"),
        "?q=evt_bulk1",
        "?q=in_bulk1",
        "?tenant__id__exact=1",
    ],
)
def test_stripe_events(staff_client, tenant_a, query):
    rows.stripe_events(50, tenant=tenant_a)

    plan = page_plan(staff_client, f"/admin/billing/stripeevent/{query}")

    assert_indexed(plan, ordered="q=" not in query)


@pytest.mark.parametrize(
    "query",
    [
        "",
        "?action__exact=data_export",
        last_week("occurred_at"),
        "?tenant__id__exact=1",
    ],
)
def test_audit_log(staff_client, tenant_a, query):
    rows.audit_events(50, tenant=tenant_a)

    assert_indexed(page_plan(staff_client, f"/admin/audit/auditevent/{query}"))
