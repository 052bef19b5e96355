"""A list page costs the same queries with 10 rows as with 1,000 (no query per row)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from tenants.models import Tenant
from tests.staff_admin import rows


def page_queries(client: Client, url: str) -> list[str]:
    client.get(url)  # the first visit this hour also writes the staff-access audit row
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, url
    assert response.context["cl"].result_count > 0, url
    return [query["sql"] for query in captured.captured_queries]


def assert_constant(client: Client, url: str, add: Callable[[int], object]) -> None:
    add(10)
    few = page_queries(client, url)
    add(990)
    many = page_queries(client, url)
    assert len(many) == len(few), "\n".join(many[-5:])


@pytest.mark.parametrize(
    ("url", "add"),
    [
        ("/admin/tenants/tenant/", lambda n: rows.stores(n)),
        ("/admin/billing/subscriptionmirror/", lambda n: rows.stores(n)),
        ("/admin/runbooks/runbookrun/", rows.runbook_runs),
        ("/admin/incidents/notification/", rows.incident_notifications),
        ("/admin/incidents/incident/", rows.incidents),
    ],
    ids=["tenants", "subscriptions", "runbook-runs", "incident-notifications", "incidents"],
)
def test_list_queries_do_not_grow_with_rows(staff_client, url, add):
    assert_constant(staff_client, url, add)


@pytest.mark.parametrize(
    ("url", "add"),
    [
        ("/admin/integrations/mlnotification/", rows.notifications),
        ("/admin/billing/stripeevent/", rows.stripe_events),
        ("/admin/audit/auditevent/", rows.audit_events),
        ("/admin/compliance/datasubjectrequest/", rows.subject_requests),
        ("/admin/billing/invoicerecord/", rows.invoices),
    ],
    ids=["ml-inbox", "stripe-events", "audit-log", "subject-requests", "invoices"],
)
def test_store_rows_lists_do_not_grow_with_rows(staff_client, tenant_a: Tenant, url, add):
    assert_constant(staff_client, url, lambda n: add(n, tenant=tenant_a))


def test_ml_connections_list_does_not_grow_with_rows(staff_client, tenant_a):
    assert_constant(
        staff_client,
        "/admin/integrations/mlconnection/",
        lambda n: rows.ml_connections(n, tenant=tenant_a),
    )


def test_filtered_and_searched_store_lists_stay_constant(staff_client):
    url = "/admin/tenants/tenant/?status__exact=active&plan_code=starter&subscription=active&q=Bulk"
    assert_constant(staff_client, url, lambda n: rows.stores(n))
