"""POST /api/v1/sync-runs/: "sync now", within the plan's sync interval."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from django_tenants.utils import tenant_context

from billing.models import Plan
from integrations.mercadolivre.models import MLAccount, SyncRun
from tests.api.conftest import api_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def connected(tenant_a):
    with tenant_context(tenant_a):
        MLAccount.objects.create(
            ml_user_id=111, access_token="encrypted", connected_at=timezone.now()
        )
    return tenant_a


def sync_now(tenant, token):
    return api_client(tenant, token).post("/api/v1/sync-runs/")


def test_sync_now_queues_an_incremental_sync(
    connected, token_a, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as sent:
        response = sync_now(connected, token_a)

    assert response.status_code == 202, response.content
    body = response.json()
    assert (body["status"], body["kind"]) == ("queued", "incremental")
    assert len(sent) == 1


def test_a_second_click_within_the_interval_is_429_with_retry_after(
    connected, token_a, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as sent:
        assert sync_now(connected, token_a).status_code == 202
        again = sync_now(connected, token_a)

    assert again.status_code == 429
    assert again.json()["error"]["code"] == "sync_too_soon"
    interval = Plan.objects.get(code="starter").sync_interval_minutes
    assert 0 < int(again["Retry-After"]) <= interval * 60
    assert len(sent) == 1


def test_a_recent_successful_sync_makes_it_too_soon(connected, token_a):
    with tenant_context(connected):
        run = SyncRun.objects.create(kind="incremental", status="succeeded")
        SyncRun.objects.filter(pk=run.pk).update(started_at=timezone.now() - timedelta(minutes=1))
    response = sync_now(connected, token_a)
    assert response.status_code == 429
    assert response.json()["error"]["code"] == "sync_too_soon"
    assert 0 < int(response["Retry-After"]) <= 60 * 60


def test_an_old_sync_does_not_hold_it_back(connected, token_a):
    with tenant_context(connected):
        run = SyncRun.objects.create(kind="incremental", status="succeeded")
        SyncRun.objects.filter(pk=run.pk).update(started_at=timezone.now() - timedelta(days=1))
    assert sync_now(connected, token_a).status_code == 202


def test_a_running_sync_is_409(connected, token_a):
    with tenant_context(connected):
        SyncRun.objects.create(kind="initial", status="running")
    response = sync_now(connected, token_a)
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "sync_running"


def test_without_a_connected_account_it_is_409(tenant_a, token_a):
    response = sync_now(tenant_a, token_a)
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "sync_not_possible"


def test_the_window_is_per_store(connected, tenant_b, token_a, token_b):
    with tenant_context(tenant_b):
        MLAccount.objects.create(
            ml_user_id=222, access_token="encrypted", connected_at=timezone.now()
        )
    assert sync_now(connected, token_a).status_code == 202
    assert sync_now(tenant_b, token_b).status_code == 202
