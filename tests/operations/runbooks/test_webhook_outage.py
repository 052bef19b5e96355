"""Runbook webhook-outage: diagnosis on seeded metrics (and "no data"), the timed POSTs."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from core.metrics import metric_count, metric_observe
from integrations.models import MLNotification
from operations.models import MetricMinute
from operations.runbooks import webhook_outage
from operations.runbooks.registry import Options, Outcome
from tests.support.processes import free_port, web_server


def seed_acks(milliseconds: float, times: int) -> None:
    for _ in range(times):
        metric_observe("ml_webhook_ack", {"outcome": "accepted"}, milliseconds)
        metric_count("ml_webhook", {"outcome": "accepted"})


def text(result) -> str:
    return "\n".join(result.lines)


@pytest.mark.django_db
def test_healthy_acknowledgements_diagnose_ok():
    seed_acks(30, 96)
    seed_acks(700, 4)

    result = webhook_outage.diagnose(Options(minutes=60))

    assert result.outcome == Outcome.OK, text(result)
    assert "100 requests, p95 ≤ 50 ms, p100 ≤ 1000 ms" in text(result)
    assert "4 over 500 ms" in text(result)
    assert "Webhook answers: accepted 100" in text(result)
    for heading in ("Inbox backlog:", "Queue depth: critical 0", "Redis: PING", "PostgreSQL:"):
        assert heading in text(result)
    assert "Last deploy: " in text(result)
    assert result.data["ack"]["p95_ms"] == 50


@pytest.mark.django_db
def test_slow_acknowledgements_diagnose_failed():
    seed_acks(700, 20)

    result = webhook_outage.diagnose(Options(minutes=60))

    assert result.outcome == Outcome.FAILED
    assert "p95 ≤ 1000 ms" in text(result)
    assert "webhook p95 above 500 ms" in result.lines[-1]


@pytest.mark.django_db
def test_a_stale_inbox_backlog_is_a_finding():
    seed_acks(20, 10)
    MLNotification.objects.create(
        dedup_key="ml:old",
        topic="orders_v2",
        resource="/orders/1",
        ml_user_id=1,
        application_id="x",
        payload={},
    )
    MLNotification.objects.update(arrived_at=timezone.now() - timedelta(minutes=30))

    result = webhook_outage.diagnose(Options(minutes=60))

    assert result.outcome == Outcome.FAILED
    assert "Inbox backlog: 1 pending (oldest 30m" in text(result)


@pytest.mark.django_db
def test_without_samples_the_diagnosis_says_no_data_not_ok():
    result = webhook_outage.diagnose(Options(minutes=60))

    assert result.outcome == Outcome.UNKNOWN
    assert "last 60 min: no data" in result.lines[0]
    assert "OK" not in result.lines[-1]


@pytest.mark.django_db
def test_the_rollups_answer_when_redis_has_no_samples():
    minute = timezone.now().replace(second=0, microsecond=0) - timedelta(minutes=3)
    for field, value in (
        ("outcome=accepted|count", 10),
        ("outcome=accepted|sum_ms", 200),
        ("outcome=accepted|le_25", 10),
    ):
        MetricMinute.objects.create(name="ml_webhook_ack", minute=minute, field=field, value=value)

    result = webhook_outage.diagnose(Options(minutes=60))

    assert "10 requests, p95 ≤ 25 ms" in text(result)
    assert result.data["ack"]["source"] == "rollups"


@pytest.mark.usefixtures("committed_db")
def test_validate_times_ten_posts_against_the_running_server():
    port = free_port()
    with web_server(port) as base:
        url = f"{base}/api/webhook/mercado-livre"
        webhook_outage.validate(Options(url=url))  # warm the workers up

        result = webhook_outage.validate(Options(url=url))

    assert result.outcome == Outcome.OK, text(result)
    times = [line for line in result.lines if line.startswith("Time: ")]
    assert len(times) == 10
    assert all(line.endswith("HTTP 200") for line in times)
    probes = MLNotification.objects.filter(topic=webhook_outage.PROBE_TOPIC)
    assert probes.count() == 2  # one per run: the other nine posts were duplicates
    assert {row.status for row in probes} == {"ignored"}


def test_validate_fails_when_nothing_answers(closed_port):
    url = f"http://127.0.0.1:{closed_port}/api/webhook/mercado-livre"

    result = webhook_outage.validate(Options(url=url))

    assert result.outcome == Outcome.FAILED
    assert "10 not 2xx (ConnectError)" in result.lines[-1]
