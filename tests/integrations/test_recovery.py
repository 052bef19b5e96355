"""Recovery resumes work by itself, on a real worker against the ML sandbox: a sync held back by
the open breaker is retried once the breaker lets a probe through, and a store reconnected after
its authorization was revoked processes the notifications that died meanwhile and catches up."""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.conf import settings
from django.utils import timezone
from django_tenants.utils import tenant_context

from core.tasks import enqueue_on_commit
from integrations.mercadolivre.breaker import Breaker
from integrations.mercadolivre.clock import SYSTEM_CLOCK
from integrations.mercadolivre.inbox import notification_process
from integrations.mercadolivre.models import (
    MLAccount,
    MLAccountStatus,
    MLItem,
    SyncKind,
    SyncRun,
)
from integrations.mercadolivre.reconnect import ml_reconnect_resume
from integrations.mercadolivre.tasks import ml_incremental_sync
from integrations.models import MLNotification
from peepers.celery import app as celery_app
from tenants.models import Tenant
from tests.factories.inbox import ml_notification
from tests.integrations.support import connect, connected_and_synced, notify, open_question
from tests.support.processes import (
    celery_worker,
    queued_messages,
    queues_empty,
    worker_answering,
)
from tests.support.waiting import wait_until

pytestmark = pytest.mark.usefixtures("committed_db")


@pytest.fixture
def worker_env(sandbox, settings):
    settings.ML_RATE_LIMIT_PER_MINUTE = settings.ML_SELLER_RATE_LIMIT_PER_MINUTE = 100_000
    return {
        "ML_API_BASE": sandbox.server.url,
        "ML_AUTH_BASE": sandbox.server.url,
        "ML_RATE_LIMIT_PER_MINUTE": "100000",
        "ML_SELLER_RATE_LIMIT_PER_MINUTE": "100000",
    }


def scheduled_on(worker: str) -> list[Any]:
    """The messages ``worker`` holds until their ETA (retries with a countdown)."""
    return (celery_app.control.inspect(destination=[worker], timeout=2).scheduled() or {}).get(
        worker, []
    )


def test_a_sync_held_back_by_the_open_breaker_is_retried_once_it_lets_a_probe_through(
    sandbox, worker_env
):
    tenant = Tenant.objects.get(schema_name="tenant-a")
    connected_and_synced(sandbox, tenant)
    breaker = Breaker("api", clock=SYSTEM_CLOCK)
    for _ in range(settings.ML_BREAKER_FAILURES):
        breaker.record_failure()
    reopens_at = time.time() + settings.ML_BREAKER_RESET_SECONDS

    with celery_worker(**worker_env):
        worker = worker_answering()
        enqueue_on_commit(ml_incremental_sync, tenant=tenant)
        retries = wait_until(
            lambda: [
                entry
                for entry in scheduled_on(worker)
                if entry["request"]["name"] == "integrations.ml_incremental_sync"
            ],
            timeout=60,
            every=0.5,
            message="the held-back sync was not scheduled for a retry",
        )

    eta = datetime.fromisoformat(retries[0]["eta"]).timestamp()
    assert reopens_at - 1 <= eta <= reopens_at + settings.ML_BREAKER_RESET_SECONDS * 0.1 + 1
    with tenant_context(tenant):
        run = SyncRun.objects.get(kind=SyncKind.INCREMENTAL)
    assert run.status == "running"  # resumed by the retry from where it stopped
    assert run.error.startswith("MLCircuitOpen")


def test_a_reconnected_store_processes_what_died_of_the_disconnection_and_catches_up(
    sandbox, worker_env
):
    tenant, tenant_b = (
        Tenant.objects.get(schema_name="tenant-a"),
        Tenant.objects.get(schema_name="tenant-b"),
    )
    seller_id = connected_and_synced(sandbox, tenant)
    question = open_question(tenant)
    # The seller's authorization is revoked on ML; the store learns of it at the next refresh.
    sandbox.faults(revoke_refresh_tokens=True)
    sandbox.expire_tokens()
    with tenant_context(tenant):
        MLAccount.objects.update(access_expires_at=timezone.now() - timedelta(seconds=1))
        item_id = MLItem.objects.order_by("id").values_list("id", flat=True).first()
    item_row = ml_notification(
        dedup_key="ml:outage-item",
        resource=f"/items/{item_id}",
        ml_user_id=seller_id,
        payload={},
        tenant=None,
    )
    item_row.topic = "items"
    item_row.save()
    died = [notify(seller_id, question.id), item_row]
    for row in died:
        assert notification_process(notification_id=row.pk) == "dead"
    with tenant_context(tenant):
        assert MLAccount.objects.get().status == MLAccountStatus.NEEDS_RECONNECTION
    # Dead of something else, or another store's: not the reconnection's to replay.
    refused = ml_notification(
        dedup_key="ml:refused",
        resource="/orders/1",
        ml_user_id=seller_id,
        payload={},
        tenant=tenant,
        status="dead",
        last_error="MLBadRequest: 400 bad_request: invalid order id",
    )
    elsewhere = ml_notification(
        dedup_key="ml:elsewhere",
        resource="/orders/2",
        ml_user_id=1,
        payload={},
        tenant=tenant_b,
        status="dead",
        last_error="MLReconnectRequired: Mercado Livre refused the refresh token",
    )
    MLNotification.objects.bulk_create([refused, elsewhere])
    sandbox.faults(revoke_refresh_tokens=False)

    def resumed() -> bool:
        processed = MLNotification.objects.filter(
            pk__in=[row.pk for row in died], status="processed"
        ).count() == len(died)
        with tenant_context(tenant):
            synced = SyncRun.objects.filter(kind=SyncKind.INCREMENTAL, status="succeeded")
            return processed and synced.exists()

    with celery_worker(**worker_env):
        connect(sandbox, tenant)  # the seller connects again; nobody else does anything
        wait_until(resumed, timeout=90, every=0.5, message="the reconnection resumed nothing")

    again = ml_reconnect_resume(tenant=tenant)  # the task run twice
    assert again.replayed == 0
    assert set(
        MLNotification.objects.filter(pk__in=[row.pk for row in died]).values_list(
            "status", flat=True
        )
    ) == {"processed"}
    assert MLNotification.objects.get(pk=refused.pk).status == "dead"
    assert MLNotification.objects.get(pk=elsewhere.pk).status == "dead"
    with tenant_context(tenant):
        assert MLAccount.objects.get().status == MLAccountStatus.ACTIVE
        assert SyncRun.objects.filter(kind=SyncKind.INITIAL).count() == 1  # not started over


def queued_tasks() -> list[str]:
    """The names of the tasks waiting in the broker, every queue and priority."""
    return [headers["task"] for headers in queued_messages()]


def test_a_first_connection_syncs_from_scratch_and_connecting_again_resumes(sandbox):
    tenant = Tenant.objects.get(schema_name="tenant-a")

    connect(sandbox, tenant)
    first = queued_tasks()
    queues_empty()
    connect(sandbox, tenant)

    assert first == ["integrations.ml_initial_sync"]
    assert queued_tasks() == ["integrations.ml_reconnected"]


def test_reconnected_before_the_initial_sync_succeeded_the_initial_sync_resumes(sandbox):
    tenant = Tenant.objects.get(schema_name="tenant-a")
    connect(sandbox, tenant)
    queues_empty()

    resumed = ml_reconnect_resume(tenant=tenant)

    assert resumed.sync is None
    assert queued_tasks() == ["integrations.ml_initial_sync"]
    with tenant_context(tenant):
        assert not SyncRun.objects.filter(kind=SyncKind.INCREMENTAL).exists()
