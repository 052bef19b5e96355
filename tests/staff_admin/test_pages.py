"""Every staff list page opens, and the pages the staff runbook names are where it says."""

from __future__ import annotations

import pytest
from django.contrib import admin

from tests.staff_admin import rows

REGISTERED = sorted(
    f"{model._meta.app_label}/{model._meta.model_name}" for model in admin.site._registry
)


@pytest.mark.parametrize("page", REGISTERED)
def test_every_list_page_opens_for_staff(staff_client, page):
    assert staff_client.get(f"/admin/{page}/").status_code == 200


@pytest.mark.parametrize(
    "url",
    [
        "/admin/",
        "/admin/tenants/tenant/",
        "/admin/billing/subscriptionmirror/",
        "/admin/billing/plan/",
        "/admin/integrations/mlconnection/",
        "/admin/integrations/mlnotification/",
        "/admin/billing/stripeevent/",
        "/admin/billing/refund/",
        "/admin/incidents/incident/",
        "/admin/alerts/alertstate/",
        "/admin/runbooks/runbookrun/",
        "/admin/maintenance/maintenancerun/",
        "/admin/compliance/datasubjectrequest/",
        "/admin/breaches/breachcase/",
        "/admin/audit/auditevent/",
        "/admin/compliance/compliancereport/",
        "/admin/operations/metricminute/",
    ],
)
def test_the_staff_pages_of_the_issue_open(staff_client, url):
    assert staff_client.get(url).status_code == 200


def test_the_kpi_dashboard_is_the_metric_minutes_page(staff_client):
    page = staff_client.get("/admin/operations/metricminute/")

    assert page.context["title"] == "KPI dashboard"


def test_a_stores_page_shows_its_subscription_and_ml_connection(staff_client, tenant_a):
    page = staff_client.get(f"/admin/tenants/tenant/{tenant_a.pk}/change/")

    assert page.status_code == 200
    body = page.content.decode()
    assert "Subscription and billing" in body
    assert "Mercado Livre" in body
    inbox = "/admin/integrations/mlnotification/"
    events = "/admin/billing/stripeevent/"
    assert f"{inbox}?tenant__id__exact={tenant_a.pk}" in body
    assert f"{events}?tenant__id__exact={tenant_a.pk}" in body


def test_the_store_links_open_lists_of_that_store_only(staff_client, tenant_a, tenant_b):
    rows.notifications(2, tenant=tenant_a)
    rows.notifications(3, tenant=tenant_b)
    rows.stripe_events(1, tenant=tenant_a)

    inbox = staff_client.get(f"/admin/integrations/mlnotification/?tenant__id__exact={tenant_a.pk}")
    events = staff_client.get(f"/admin/billing/stripeevent/?tenant__id__exact={tenant_a.pk}")

    assert inbox.context["cl"].result_count == 2
    assert events.context["cl"].result_count == 1
