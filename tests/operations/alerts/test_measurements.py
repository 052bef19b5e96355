"""What the alert rules read: request metrics with no database query, streaks kept in order
across processes' flushes, probes and queue gauges, task outcomes, and degradation when Redis
or PostgreSQL is down."""

from __future__ import annotations

import socket

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from core.metrics import (
    metric_observe,
    metric_read,
    metric_streak,
    metrics_dropped,
    metrics_flush,
)
from core.redis import redis_client, redis_key
from core.tasks import QUEUES, task
from operations.alerts.models import AlertState
from operations.alerts.outage import database_down_page
from operations.alerts.services import alerts_run
from peepers.celery import app

pytestmark = pytest.mark.django_db


def _queries(path: str) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        assert Client(HTTP_HOST="localhost").get(path).status_code == 200
    return [q["sql"] for q in captured.captured_queries]


def test_the_metrics_path_adds_no_database_query(settings):
    _queries("/api/ping")  # warm whatever the process caches on its first request
    before = metric_read("http_request", minutes=1).get("class=api,status=2xx|count", 0)
    measured = _queries("/api/ping")
    metrics_flush()
    assert metric_read("http_request", minutes=1)["class=api,status=2xx|count"] == before + 1

    settings.MIDDLEWARE = [
        m for m in settings.MIDDLEWARE if m != "operations.middleware.RequestMetricsMiddleware"
    ]
    unmeasured = _queries("/api/ping")

    assert measured == unmeasured == []


def test_requests_are_unaffected_when_redis_is_down_and_dropped_samples_are_counted(settings):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    metrics_flush()
    dropped = metrics_dropped()
    settings.CACHE_REDIS_URL = f"redis://127.0.0.1:{port}/0"

    response = Client(HTTP_HOST="localhost").get("/api/ping")
    metrics_flush()

    assert response.status_code == 200
    assert metrics_dropped() > dropped


def slow(*ms: float) -> None:
    for value in ms:
        metric_observe("ml_webhook_ack", {"outcome": "accepted"}, value)


def test_a_streak_counts_runs_in_order_across_flushes():
    metric_streak("ml_webhook_ack")  # start a period

    slow(600, 600)
    metrics_flush()
    slow(600, 40, 700)
    metrics_flush()
    assert metric_streak("ml_webhook_ack") == (1, 3)  # 600, 600 | 600: three in a row

    slow(40, 600, 600)
    metrics_flush()
    assert metric_streak("ml_webhook_ack") == (2, 2)

    slow(30)
    metrics_flush()
    assert metric_streak("ml_webhook_ack") == (0, 0)  # a reported run that ended is not news


def test_one_run_probes_health_records_queue_depth_and_evaluates():
    evaluations = alerts_run()

    assert evaluations is not None
    assert {e.rule for e in evaluations} >= {"webhook_timeout", "uptime", "queue_backlog"}
    probes = metric_read("health_probe", minutes=1)
    assert probes.get("check=all,outcome=up", 0) >= 1
    assert probes.get("check=database,outcome=up", 0) >= 1
    assert AlertState.objects.get(rule="queue_backlog").value is not None
    assert set(metric_read("queue_depth", minutes=1)) == {f"queue={name}" for name in QUEUES}


def test_queue_depth_is_exported_to_prometheus_as_a_gauge(settings):
    settings.METRICS_TOKEN = "scrape-me"
    alerts_run()

    text = (
        Client(HTTP_HOST="localhost")
        .get("/metrics", headers={"Authorization": "Bearer scrape-me"})
        .content.decode()
    )

    assert "# TYPE peepers_queue_depth gauge" in text
    assert 'peepers_queue_depth{queue="critical"}' in text


@task(name="tests.always_fails", queue="low", tenant_scoped=False, soft_time_limit=5)
def always_fails() -> None:
    raise RuntimeError("this task fails on purpose")


@pytest.mark.usefixtures("celery_eager")
def test_task_failures_are_counted():
    before = metric_read("celery_tasks", minutes=1).get(
        "outcome=failure,task=tests.always_fails", 0
    )
    propagates = app.conf.task_eager_propagates
    app.conf.task_eager_propagates = False
    try:
        always_fails.delay()
    finally:
        app.conf.task_eager_propagates = propagates

    assert (
        metric_read("celery_tasks", minutes=1)["outcome=failure,task=tests.always_fails"]
        == before + 1
    )


def test_a_database_outage_pages_the_p0_channels_directly_once_per_quarter_hour(settings, receiver):
    settings.NOTIFY_URLS = [f"p0=json://127.0.0.1:{receiver.port}/", "p2=json://127.0.0.1:9/"]
    redis_client().delete(redis_key("alerts", "database-down-paged"))

    first = database_down_page(detail="connection refused")
    again = database_down_page(detail="connection refused")

    assert (first, again) == (1, 0)
    assert len(receiver.received) == 1
    assert "PostgreSQL is unreachable" in receiver.received[0]["title"]
    assert "connection refused" in receiver.received[0]["message"]
    redis_client().delete(redis_key("alerts", "database-down-paged"))
