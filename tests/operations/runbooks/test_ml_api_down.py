"""Runbook ml-api-down: ML's reachability from here (against the ML sandbox as a real server),
the breaker, the error mix; holding the syncs on a real worker and resuming them."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

from core.metrics import metric_count, metric_observe
from core.redis import redis_client
from core.tasks import ML_QUEUES, QUEUES
from operations.alerts.rules import rules_load
from operations.runbooks import ml_api_down, rate_limit
from operations.runbooks.catalog import RUNBOOKS
from operations.runbooks.holds import hold_key, hold_state
from operations.runbooks.registry import Options, Outcome, Result
from tests.support.processes import celery_worker, worker_answering, worker_queues

pytestmark = pytest.mark.django_db


def calls(status: str, amount: int, endpoint: str = "/orders/search") -> None:
    metric_count(
        "ml_api_calls", {"status": status, "tenant": "tenant-a", "endpoint": endpoint}, amount
    )


def text(result: Result) -> str:
    return "\n".join(result.lines)


def test_the_ml_api_down_alert_points_at_its_runbook_and_every_rule_at_a_real_one():
    rules = rules_load(Path(settings.ALERT_RULES_FILE)).rules

    assert {rule.name: rule.runbook for rule in rules}["ml_api_down"] == "ml-api-down"
    assert {rule.runbook for rule in rules if rule.runbook} <= set(RUNBOOKS)
    assert RUNBOOKS["ml-api-down"].priority == "P0"


def test_diagnose_ok_when_ml_answers_and_calls_succeed(sandbox: Any) -> None:
    calls("2xx", 40)
    calls("5xx", 2, endpoint="/items/{id}")
    for _ in range(42):
        metric_observe("ml_api_latency", {"endpoint": "/orders/search"}, 120)

    result = ml_api_down.diagnose(Options(minutes=15))

    assert result.outcome == Outcome.OK, text(result)
    assert result.data["probe"]["reachable"] is True
    assert result.data["probe"]["median_ms"] is not None
    assert result.data["breakers"]["api"]["state"] == "closed"
    assert "  - /items/{id}: 2 calls, 2 5xx (100.0%), 0 429" in result.lines
    assert "Our calls' latency, last 15 min: 42 calls, p95 ≤ 250 ms, slowest ≤ 250 ms" in (
        result.lines
    )


def test_diagnose_fails_when_ml_answers_503_to_everything(sandbox: Any) -> None:
    sandbox.faults(outage=True)
    calls("5xx", 30)
    calls("2xx", 10)

    result = ml_api_down.diagnose(Options(minutes=15))

    assert result.outcome == Outcome.FAILED
    assert result.data["probe"]["statuses"] == [503, 503, 503]
    assert "ML did not answer our probe without a server error" in text(result)
    assert "5xx share 75.0% over 50%" in text(result)


def test_diagnose_fails_when_ml_cannot_be_reached(settings: Any, closed_port: int) -> None:
    settings.ML_API_BASE = f"http://127.0.0.1:{closed_port}"

    result = ml_api_down.diagnose(Options(minutes=15))

    assert result.outcome == Outcome.FAILED
    assert result.data["probe"]["statuses"] == []
    assert "ConnectError" in text(result)


def test_an_open_breaker_fails_the_diagnosis(sandbox: Any) -> None:
    calls("2xx", 40)
    redis_client().set("ml:cb:api:opened_at", time.time())

    result = ml_api_down.diagnose(Options(minutes=15))

    assert result.outcome == Outcome.FAILED
    assert "Breaker api: open" in text(result)


def test_diagnose_without_enough_calls_is_unknown(sandbox: Any) -> None:
    calls("2xx", 3)

    result = ml_api_down.diagnose(Options(minutes=15))

    assert result.outcome == Outcome.UNKNOWN
    assert "3 calls in the window" in text(result)


def test_validate_needs_ml_answering_and_few_5xx(sandbox: Any) -> None:
    calls("2xx", 3)
    assert ml_api_down.validate(Options()).outcome == Outcome.UNKNOWN

    calls("2xx", 40)
    assert ml_api_down.validate(Options()).outcome == Outcome.OK

    calls("5xx", 5)
    assert ml_api_down.validate(Options()).outcome == Outcome.FAILED  # 5 of 48 is over 5%


def test_validate_fails_while_ml_is_out(sandbox: Any) -> None:
    sandbox.faults(outage=True)
    calls("2xx", 40)

    assert ml_api_down.validate(Options()).outcome == Outcome.FAILED


def test_mitigate_without_a_worker_is_unknown() -> None:
    result = ml_api_down.mitigate(Options())

    assert result.outcome == Outcome.UNKNOWN
    assert "no worker confirmed the hold" in text(result)
    assert ml_api_down.mitigate(Options(undo=True)).outcome == Outcome.OK


@pytest.mark.usefixtures("committed_db")
def test_mitigate_holds_the_syncs_and_a_queue_another_runbook_holds_stays_held() -> None:
    with celery_worker():
        worker = worker_answering()

        held = ml_api_down.mitigate(Options())

        assert held.outcome == Outcome.OK, text(held)
        assert worker_queues(worker) == set(QUEUES) - set(ML_QUEUES)

        assert rate_limit.mitigate(Options(minutes=10)).outcome == Outcome.OK
        released = ml_api_down.mitigate(Options(undo=True))

        assert "Queue ml-low: kept paused, another runbook's mitigation holds it" in released.lines
        assert worker_queues(worker) == set(QUEUES) - set(ML_QUEUES)

        rate_limit.mitigate(Options(undo=True))

        assert worker_queues(worker) == set(QUEUES)


@pytest.mark.usefixtures("committed_db")
def test_a_queue_resumes_when_its_last_holder_never_heard_the_worker_stop() -> None:
    """The second runbook to hold a queue may not hear a busy worker answer its stop (the
    worker had stopped already): when the first lets go it hands its workers over, so the
    last release still resumes them."""
    with celery_worker():
        worker = worker_answering()
        assert ml_api_down.mitigate(Options()).outcome == Outcome.OK
        assert rate_limit.mitigate(Options(minutes=10)).outcome == Outcome.OK
        state = hold_state(rate_limit.HOLDER)
        assert state is not None
        state["workers"] = {queue: [] for queue in state["workers"]}  # no answer in time
        redis_client().set(hold_key(rate_limit.HOLDER), json.dumps(state))

        ml_api_down.mitigate(Options(undo=True))
        rate_limit.mitigate(Options(undo=True))

        assert worker_queues(worker) == set(QUEUES)
