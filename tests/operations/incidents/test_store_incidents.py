"""Incidents about one store name it by a column; its pages read them by that column."""

from __future__ import annotations

import importlib
from datetime import UTC, datetime, timedelta

import pytest
from django.apps import apps
from django.db import connection

from operations.incidents.models import Incident, State
from operations.incidents.selectors import incidents_open_for
from operations.incidents.services import incident_fire, incident_resolve_by_key
from tests.dashboard.support import account_connect
from tests.support.clients import store_client

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 11, 10, 12, 0, tzinfo=UTC)
backfill_migration = importlib.import_module(
    "operations.incidents.migrations.0003_incident_tenant_backfill"
)


@pytest.fixture(autouse=True)
def no_channels(settings):
    settings.NOTIFY_URLS = []


def fire(key: str, *, tenant=None, title: str = "401 > 10%", now: datetime = T0) -> Incident:
    return incident_fire(key=key, title=title, priority="P2", details={}, tenant=tenant, now=now)


def test_a_store_sees_its_open_incidents_only(tenant_a, tenant_b):
    mine = fire(f"alert:store_auth:{tenant_a.schema_name}", tenant=tenant_a)
    fire(f"alert:store_auth:{tenant_b.schema_name}", tenant=tenant_b)
    fire("alert:webhook_p95")
    fire(f"alert:other:{tenant_a.schema_name}", tenant=tenant_a)
    incident_resolve_by_key(key=f"alert:other:{tenant_a.schema_name}", now=T0)

    assert incidents_open_for(tenant=tenant_a) == [mine]


def test_a_key_ending_in_a_stores_name_is_not_that_stores_without_the_column(tenant_a):
    fire(f"maintenance-failed:{tenant_a.schema_name}")

    assert incidents_open_for(tenant=tenant_a) == []


def test_a_repeat_sighting_keeps_the_store_the_incident_was_opened_for(tenant_a):
    first = fire(f"alert:store_auth:{tenant_a.schema_name}", tenant=tenant_a)
    again = fire(f"alert:store_auth:{tenant_a.schema_name}", now=T0 + timedelta(seconds=30))

    assert again.pk == first.pk
    assert again.tenant_id == tenant_a.pk


def test_the_overview_shows_the_stores_incident_and_not_anothers(tenant_a, tenant_b):
    account_connect(tenant_a, ml_user_id=111)
    fire(f"alert:store_auth:{tenant_a.schema_name}", tenant=tenant_a, title="INCIDENT-A")
    fire(f"alert:store_auth:{tenant_b.schema_name}", tenant=tenant_b, title="INCIDENT-B")

    page = store_client(tenant_a, login=True).get("/").text

    assert "INCIDENT-A" in page
    assert "INCIDENT-B" not in page


def _legacy(key: str) -> Incident:
    """An incident as stored before incidents named their store."""
    return Incident.objects.create(
        key=key, title=key, priority="P2", triggered_at=T0, last_seen_at=T0
    )


def _backfill() -> None:
    backfill_migration.backfill(apps, connection.schema_editor())


def test_the_backfill_links_store_alerts_by_their_key_in_batches_and_twice_changes_nothing(
    tenant_a, tenant_b, monkeypatch
):
    monkeypatch.setattr(backfill_migration, "BATCH_SIZE", 2)
    a = _legacy(f"alert:store_auth:{tenant_a.schema_name}")
    b = _legacy(f"alert:store_auth:{tenant_b.schema_name}")
    gone = _legacy("alert:store_auth:a-store-since-deleted")
    platform = _legacy("alert:webhook_p95")
    job = _legacy(f"maintenance-failed:{tenant_a.schema_name}")
    resolved = _legacy(f"alert:old:{tenant_a.schema_name}")
    Incident.objects.filter(pk=resolved.pk).update(state=State.RESOLVED)

    _backfill()
    first = dict(Incident.objects.values_list("pk", "tenant_id"))
    _backfill()

    assert dict(Incident.objects.values_list("pk", "tenant_id")) == first
    assert first == {
        a.pk: tenant_a.pk,
        b.pk: tenant_b.pk,
        gone.pk: None,
        platform.pk: None,
        job.pk: None,
        resolved.pk: tenant_a.pk,
    }


def test_the_backfill_leaves_a_store_already_named(tenant_a, tenant_b):
    named = fire(f"alert:store_auth:{tenant_a.schema_name}", tenant=tenant_b)

    _backfill()

    named.refresh_from_db()
    assert named.tenant_id == tenant_b.pk
