"""cleanup_cache on the test Redis; the admin's run list and "Run now"."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client

from core.redis import redis_client, redis_key
from operations.maintenance.cache import cache_cleanup
from operations.maintenance.models import MaintenanceRun, Outcome

KEYS = {
    "metrics:http_request:209901010000": "minute",
    "ml:rl:seller:42": "tat",
    "ml:cb:ml:failures": "3",
    "ml:cb:ml:probe": "1",
}


@pytest.fixture
def planted(db: None) -> Iterator[dict[str, str]]:
    client = redis_client()
    keys = {
        **KEYS,
        redis_key("tenant", 987654, "billing", "entitlement"): "x",
        redis_key("tenant", "LIVE", "billing", "entitlement"): "x",
        f"gone-store:{redis_key()}:1:page": "x",
        f"tenant-a:{redis_key()}:1:page": "x",
    }
    yield keys
    client.delete(*keys, *[k.replace("LIVE", "%s") for k in keys])


def _plant(keys: dict[str, str], live_id: int) -> dict[str, str]:
    client = redis_client()
    real = {k.replace("LIVE", str(live_id)): v for k, v in keys.items()}
    for key, value in real.items():
        client.set(key, value)  # no TTL: as if the EXPIRE had been lost
    client.expire(f"tenant-a:{redis_key()}:1:page", 300)
    return real


def test_keys_that_lost_their_ttl_are_fixed_and_dead_stores_keys_removed(
    planted: dict[str, str], tenant_a: Any
) -> None:
    keys = _plant(planted, tenant_a.pk)
    client = redis_client()

    result = cache_cleanup()

    assert client.ttl("metrics:http_request:209901010000") > 0
    assert not client.exists("ml:rl:seller:42")
    assert not client.exists("ml:cb:ml:probe")
    assert client.ttl("ml:cb:ml:failures") == -1  # breaker state is meant to persist
    assert not client.exists(redis_key("tenant", 987654, "billing", "entitlement"))
    assert not client.exists(f"gone-store:{redis_key()}:1:page")
    assert client.exists(f"tenant-a:{redis_key()}:1:page")
    live = redis_key("tenant", tenant_a.pk, "billing", "entitlement")
    assert not client.exists(live)  # a live store's cache entry without TTL: re-made on demand
    assert result.dead_store_keys == 2
    assert result.ttl_set >= 1
    assert result.without_ttl["ML rate limit"] == 1
    assert set(keys) >= {live}

    again = cache_cleanup()

    assert again.dead_store_keys == 0
    assert again.deleted_without_ttl == 0
    assert again.ttl_set == 0


def test_a_dry_run_changes_nothing(planted: dict[str, str], tenant_a: Any) -> None:
    _plant(planted, tenant_a.pk)

    result = cache_cleanup(dry_run=True)

    assert result.dead_store_keys == 2
    assert redis_client().exists("ml:rl:seller:42")
    assert redis_client().ttl("metrics:http_request:209901010000") == -1


@pytest.mark.django_db
def test_the_command_records_a_run(capsys: pytest.CaptureFixture[str]) -> None:
    call_command("cleanup_cache")

    assert "cleanup_cache: succeeded" in capsys.readouterr().out
    assert MaintenanceRun.objects.get(job="cleanup_cache").outcome == Outcome.SUCCEEDED


def test_admin_lists_the_jobs_with_a_run_now_button(
    staff_client: Client, installed_schedule: None
) -> None:
    response = staff_client.get("/admin/maintenance/maintenancerun/")

    assert response.status_code == 200
    body = response.content.decode()
    assert "Backup restore drill" in body
    assert "backups-restore-drill" in body
    assert body.count('value="Run now"') == 11


def test_run_now_queues_the_jobs_task_for_the_staff_member(
    staff_client: Client,
    celery_eager: None,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post("/admin/maintenance/maintenancerun/run-now/process_analytics/")

    assert response.status_code == 302
    run = MaintenanceRun.objects.get(job="process_analytics")
    assert run.outcome == Outcome.SUCCEEDED
    assert run.triggered_by == "admin:staff@peepers.test"


def test_run_now_refuses_an_unknown_job_and_a_get(staff_client: Client) -> None:
    assert staff_client.post("/admin/maintenance/maintenancerun/run-now/vacuum/").status_code == 403
    url = "/admin/maintenance/maintenancerun/run-now/archive/"
    assert staff_client.get(url).status_code == 405
    assert not MaintenanceRun.objects.exists()
