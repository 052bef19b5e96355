"""Runbook rate-limit-exceeded: calls by store and endpoint, the 429 share, pausing the ML
queues only and tightening the limiter (and undoing both)."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import redis
from django.conf import settings
from django.utils import timezone
from django_tenants.utils import tenant_context

from core.metrics import metric_count
from core.redis import redis_client
from core.tasks import ML_QUEUES, QUEUES
from integrations.mercadolivre.priorities import Priority
from integrations.mercadolivre.ratelimit import (
    LIMITER_FACTOR_KEY,
    app_budget,
    limiter_factor,
    seller_budget,
)
from integrations.models import MLConnection
from operations.runbooks import rate_limit
from operations.runbooks.registry import Options, Outcome
from peepers.celery import app
from peepers.run import worker_command
from tenants.models import Tenant
from tests.support.processes import celery_worker, worker_answering, worker_queues

pytestmark = pytest.mark.django_db


def calls(tenant: str, endpoint: str, status: str, amount: int) -> None:
    metric_count("ml_api_calls", {"status": status, "tenant": tenant, "endpoint": endpoint}, amount)


def text(result) -> str:
    return "\n".join(result.lines)


def test_diagnose_breaks_calls_down_by_store_and_endpoint():
    calls("tenant-a", "/orders/search", "2xx", 80)
    calls("tenant-a", "/orders/search", "429", 20)
    calls("tenant-b", "/items/{id}", "2xx", 50)

    result = rate_limit.diagnose(Options(minutes=60))

    assert result.outcome == Outcome.FAILED
    assert "150 (2xx 130, 429 20), 429 share 13.3%" in text(result)
    assert "  - tenant-a: 100 calls, 20 429 (20.0%), 0 5xx" in result.lines
    assert "  - tenant-b: 50 calls, 0 429 (0.0%), 0 5xx" in result.lines
    assert "  - /orders/search: 100 calls, 20 429 (20.0%)" in result.lines
    assert "Budget: 1200 calls/min" in text(result)


def test_diagnose_names_each_account_whose_seller_budget_is_in_use(tenant_a, tenant_b):
    now = timezone.now()
    for tenant, ml_user_id, nickname in (
        (tenant_a, 111, "LOJA_MATRIZ"),
        (tenant_a, 112, "LOJA_OUTLET"),
        (tenant_b, 221, "OUTRA_LOJA"),
    ):
        MLConnection.objects.create(
            ml_user_id=ml_user_id, tenant=tenant, nickname=nickname, connected_at=now
        )
    allowance = seller_budget().allowance_ms(Priority.CRITICAL)
    redis_client().set("ml:rl:seller:112", time.time() * 1000 + allowance / 2)
    calls("tenant-a", "/orders/search", "2xx", 10)

    result = rate_limit.diagnose(Options(minutes=60))

    assert "Seller burst allowance in use now, per account:" in result.lines
    assert any(
        re.fullmatch(r"  - tenant-a: ML user 112 \(LOJA_OUTLET\): (49|50)%", line)
        for line in result.lines
    ), text(result)
    used = {
        (u["store"], u["ml_user_id"], u["nickname"]) for u in result.data["seller_burst_in_use"]
    }
    assert used == {("tenant-a", 111, "LOJA_MATRIZ"), ("tenant-a", 112, "LOJA_OUTLET")}


def test_diagnose_without_calls_is_no_data():
    result = rate_limit.diagnose(Options(minutes=60))

    assert result.outcome == Outcome.UNKNOWN
    assert result.lines[0] == "ML API calls, last 60 min: no data"


def test_validate_passes_under_five_percent():
    calls("tenant-a", "/items/{id}", "2xx", 97)
    calls("tenant-a", "/items/{id}", "429", 3)

    result = rate_limit.validate(Options())

    assert result.outcome == Outcome.OK
    assert "3.0% of 100 calls" in result.lines[0]


def test_validate_fails_at_or_over_five_percent():
    calls("tenant-a", "/items/{id}", "2xx", 90)
    calls("tenant-b", "/items/{id}", "429", 10)

    assert rate_limit.validate(Options()).outcome == Outcome.FAILED


def test_validate_reads_only_the_last_15_minutes():
    calls(
        "tenant-a",
        "/items/{id}",
        "429",
        50,
    )
    metric_count(
        "ml_api_calls",
        {"status": "429", "tenant": "tenant-a", "endpoint": "/x"},
        100,
        at=time.time() - 30 * 60,
    )
    calls("tenant-a", "/items/{id}", "2xx", 950)

    result = rate_limit.validate(Options())

    assert "5.0% of 1000 calls" in result.lines[0]


def test_validate_without_calls_is_unknown():
    assert rate_limit.validate(Options()).outcome == Outcome.UNKNOWN


def test_the_limiter_factor_tightens_both_budgets_and_expires(settings):
    full_app, full_seller = app_budget().per_minute, seller_budget().per_minute

    result = rate_limit.mitigate(Options(minutes=10, factor=0.25))

    assert limiter_factor() == 0.25
    assert app_budget().per_minute == full_app * 0.25
    assert seller_budget().per_minute == full_seller * 0.25
    assert 590 < redis_client().ttl(LIMITER_FACTOR_KEY) <= 600
    assert result.outcome == Outcome.UNKNOWN  # no worker here to confirm the pause
    assert "no worker answered" in text(result)

    undone = rate_limit.mitigate(Options(undo=True))

    assert undone.outcome == Outcome.OK
    assert limiter_factor() == 1.0
    assert app_budget().per_minute == full_app


@pytest.mark.usefixtures("committed_db")
def test_mitigate_stops_only_the_ml_consumers_and_undo_restores_them():
    with celery_worker():
        worker = worker_answering()
        assert worker_queues(worker) == set(QUEUES)

        paused = rate_limit.mitigate(Options(minutes=10))

        assert paused.outcome == Outcome.OK, text(paused)
        assert worker_queues(worker) == set(QUEUES) - set(ML_QUEUES)

        resumed = rate_limit.mitigate(Options(undo=True))

        assert resumed.outcome == Outcome.OK, text(resumed)
        assert worker_queues(worker) == set(QUEUES)
        assert f"Queue ml-low: consuming again on {worker}" in resumed.lines


def _ran(worker: str) -> dict[str, int]:
    stats: dict[str, Any] = app.control.inspect(destination=[worker], timeout=2).stats() or {}
    return dict(stats.get(worker, {}).get("total", {}))


def _until(condition: Callable[[], bool], seconds: float = 30) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


@pytest.mark.usefixtures("committed_db")
def test_after_mitigate_ml_work_is_held_and_the_reconnect_email_still_runs():
    from integrations.mercadolivre.notifications import ml_reconnect_email
    from integrations.mercadolivre.tasks import ml_notification_process

    broker = redis.Redis.from_url(settings.REDIS_URL)
    tenant = Tenant.objects.get(schema_name="tenant-a")
    with celery_worker():
        worker = worker_answering()
        assert rate_limit.mitigate(Options(minutes=10)).outcome == Outcome.OK

        ml_notification_process.delay([])  # ML work of MEDIUM priority: ml-default
        with tenant_context(tenant):
            ml_reconnect_email.delay(0)  # an e-mail on default: no ML call

        email = "integrations.ml_reconnect_email"
        assert _until(lambda: _ran(worker).get(email) == 1), _ran(worker)
        assert "integrations.ml_notification_process" not in _ran(worker)
        assert broker.llen("ml-default") == 1  # held, not lost

        rate_limit.mitigate(Options(undo=True))

        assert _until(lambda: "integrations.ml_notification_process" in _ran(worker))
        assert broker.llen("ml-default") == 0
    broker.close()


def test_every_ml_calling_task_is_routed_to_an_ml_queue():
    from core.tasks import route

    ml_tasks = [
        "integrations.ml_initial_sync",
        "integrations.ml_incremental_sync",
        "integrations.ml_notification_process",
        "integrations.ml_missed_feeds",
        "integrations.ml_reconnected",
    ]

    assert {
        name: route(name, [], {}, {})["queue"] in ML_QUEUES for name in ml_tasks
    } == dict.fromkeys(ml_tasks, True)
    assert route("integrations.ml_reconnect_email", [], {}, {})["queue"] == "default"
    assert route("compliance.dsr_deadlines", [], {}, {})["queue"] == "default"
    assert set(rate_limit.PAUSED_QUEUES) == set(ML_QUEUES)


def test_the_worker_started_by_make_dev_and_serve_consumes_every_queue():
    command = worker_command("python")
    deploy = (Path(settings.BASE_DIR) / "docs" / "deploy.md").read_text()

    queues = command[command.index("--queues") + 1]
    [documented] = re.findall(r"worker --queues (\S+) --concurrency 2`", deploy)
    assert set(queues.split(",")) == set(QUEUES)
    assert set(documented.split(",")) == set(QUEUES)
