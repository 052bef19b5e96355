"""Big lists count from PostgreSQL's estimate; small or narrow ones count exactly."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.admin_paging import EstimatedCountPaginator, estimated_count
from integrations.models import MLNotification
from tests.staff_admin import rows


def analyze() -> None:
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE integrations_mlnotification")


def test_an_unfiltered_table_is_estimated_from_its_statistics(tenant_a):
    rows.notifications(1000, tenant=tenant_a)
    analyze()

    estimate = estimated_count(MLNotification.objects.all())

    assert estimate is not None
    assert 900 <= estimate <= 1100


def test_a_filtered_list_is_estimated_by_the_planner(tenant_a):
    rows.notifications(1000, tenant=tenant_a)
    rows.notifications(10, tenant=tenant_a, status="dead")
    analyze()

    estimate = estimated_count(MLNotification.objects.filter(status="dead"))

    assert estimate is not None
    assert estimate < 100


def test_above_the_threshold_the_page_counts_by_estimate_without_count(tenant_a, monkeypatch):
    monkeypatch.setattr(EstimatedCountPaginator, "exact_count_below", 500)
    rows.notifications(1000, tenant=tenant_a)
    analyze()
    paginator = EstimatedCountPaginator(MLNotification.objects.order_by("-arrived_at"), 100)

    with CaptureQueriesContext(connection) as captured:
        count = paginator.count

    assert paginator.is_estimate
    assert 900 <= count <= 1100
    assert not [q for q in captured.captured_queries if "COUNT(" in q["sql"].upper()]


def test_below_the_threshold_the_count_is_exact(tenant_a):
    rows.notifications(1000, tenant=tenant_a)
    analyze()
    paginator = EstimatedCountPaginator(MLNotification.objects.order_by("-arrived_at"), 100)

    assert not paginator.is_estimate
    assert paginator.count == 1000


def test_a_plain_list_counts_exactly():
    paginator = EstimatedCountPaginator(list(range(7)), 5)

    assert (paginator.count, paginator.num_pages, paginator.is_estimate) == (7, 2, False)


@pytest.mark.parametrize(
    "url",
    [
        "/admin/integrations/mlnotification/",
        "/admin/billing/stripeevent/",
        "/admin/audit/auditevent/",
        "/admin/tenants/tenant/",
    ],
)
def test_big_lists_page_by_estimate_and_say_about(staff_client, tenant_a, monkeypatch, url):
    monkeypatch.setattr(EstimatedCountPaginator, "exact_count_below", 500)
    rows.notifications(1000, tenant=tenant_a)
    rows.stripe_events(1000, tenant=tenant_a)
    rows.audit_events(1000, tenant=tenant_a)
    rows.stores(1000)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")

    page = staff_client.get(url)

    cl = page.context["cl"]
    assert cl.paginator.is_estimate
    assert cl.full_result_count is None
    assert b"about " in page.content
