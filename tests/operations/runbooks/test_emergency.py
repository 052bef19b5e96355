"""Webhook ack-only mode: no database on the request path, drained into the inbox once,
malformed bodies dropped and counted, the normal path when Redis is unreachable."""

from __future__ import annotations

import json
import logging
from importlib import import_module

import pytest
from django.apps import apps as django_apps
from django.conf import settings
from django_celery_beat.models import PeriodicTask

from core.metrics import metric_read
from core.redis import redis_client
from integrations.mercadolivre.webhook import (
    ack_only_active,
    ack_only_forget,
    ack_only_queue_key,
)
from integrations.models import MLNotification
from operations.runbooks.emergency import (
    ack_only_disable,
    ack_only_drain,
    ack_only_enable,
    ack_only_state,
)
from operations.runbooks.registry import WEBHOOK_OUTAGE, Options, Outcome
from operations.runbooks.services import runbook_run
from operations.runbooks.tasks import webhook_ack_only_drain
from peepers.celery import app
from tests.operations.runbooks.conftest import wsgi_post

pytestmark = pytest.mark.django_db


def notification(_id: str, **overrides: object) -> bytes:
    body = {
        "_id": _id,
        "resource": "/orders/2195160686",
        "user_id": 468424240,
        "topic": "orders_v2",
        "application_id": settings.ML_CLIENT_ID,
        "attempts": 1,
        "sent": "2026-11-27T13:44:33.006Z",
    }
    body.update(overrides)
    return json.dumps(body).encode()


def test_ack_only_mode_answers_200_without_touching_the_database(django_assert_num_queries):
    wsgi_post(notification("warm-up"))  # the first request loads the lean handler
    ack_only_enable(minutes=5)

    with django_assert_num_queries(0):
        answer = wsgi_post(notification("in-emergency"))

    assert answer["status"] == 200
    assert json.loads(answer["body"]) == {"status": "accepted"}
    assert not MLNotification.objects.filter(dedup_key="ml:in-emergency").exists()
    assert redis_client().llen(ack_only_queue_key()) == 1
    assert metric_read("ml_webhook", minutes=1).get("outcome=ack_only") == 1


def test_the_drainer_stores_each_notification_once():
    ack_only_enable(minutes=5)
    for body in (notification("one"), notification("two"), notification("one", attempts=2)):
        assert wsgi_post(body)["status"] == 200

    first = ack_only_drain()
    second = ack_only_drain()

    assert (first.stored, first.duplicates, first.remaining) == (2, 1, 0)
    assert (second.stored, second.duplicates) == (0, 0)
    rows = MLNotification.objects.order_by("dedup_key")
    assert [(r.dedup_key, r.source, r.status) for r in rows] == [
        ("ml:one", "ack_only", "pending"),
        ("ml:two", "ack_only", "pending"),
    ]


def test_a_notification_stored_before_the_emergency_is_not_duplicated_by_the_drain():
    assert wsgi_post(notification("before"))["status"] == 200
    ack_only_enable(minutes=5)
    assert wsgi_post(notification("before", attempts=2))["status"] == 200

    report = ack_only_drain()

    assert (report.stored, report.duplicates) == (0, 1)
    assert MLNotification.objects.filter(dedup_key="ml:before").count() == 1


def test_malformed_bodies_are_dropped_counted_and_logged(caplog):
    ack_only_enable(minutes=5)
    wsgi_post(b"{not json")
    wsgi_post(json.dumps({"topic": "orders_v2"}).encode())
    wsgi_post(notification("other-app", application_id="someone-else"))
    wsgi_post(notification("good"))

    with caplog.at_level(logging.WARNING, logger="operations.runbooks.emergency"):
        report = ack_only_drain()

    assert (report.stored, report.malformed, report.wrong_application) == (1, 2, 1)
    assert report.remaining == 0
    assert list(MLNotification.objects.values_list("dedup_key", flat=True)) == ["ml:good"]
    assert sum("dropped a malformed body" in r.getMessage() for r in caplog.records) == 2
    drained = metric_read("ml_webhook_ack_only_drain", minutes=1)
    assert drained["outcome=malformed"] == 2
    assert drained["outcome=wrong_application"] == 1


def test_source_and_size_checks_still_apply_in_ack_only_mode(settings):
    ack_only_enable(minutes=5)
    settings.ML_WEBHOOK_ALLOWED_IPS = ["10.9.9.9"]
    assert wsgi_post(notification("blocked"))["status"] == 403
    settings.ML_WEBHOOK_ALLOWED_IPS = []
    assert wsgi_post(b"x" * (64 * 1024 + 1))["status"] == 413
    assert redis_client().llen(ack_only_queue_key()) == 0


def test_with_redis_unreachable_ack_only_mode_falls_back_to_storing(settings, closed_port):
    ack_only_enable(minutes=5)
    assert ack_only_active()  # this process now believes the flag is on for a second
    settings.CACHE_REDIS_URL = f"redis://127.0.0.1:{closed_port}/0"

    answer = wsgi_post(notification("redis-down"))

    assert answer["status"] == 200
    assert MLNotification.objects.filter(dedup_key="ml:redis-down", source="webhook").exists()


def test_an_unreadable_flag_reads_as_off(settings, closed_port):
    ack_only_enable(minutes=5)
    settings.CACHE_REDIS_URL = f"redis://127.0.0.1:{closed_port}/0"

    ack_only_forget()
    assert ack_only_active() is False


def test_the_flag_expires_and_can_be_switched_off():
    ack_only_enable(minutes=2)
    state = ack_only_state()
    assert state.on
    assert 100 < state.seconds_left <= 120

    assert ack_only_disable() is True
    assert ack_only_active() is False
    assert ack_only_disable() is False


def test_mitigate_switches_on_and_off_draining_what_was_queued():
    on = runbook_run(name=WEBHOOK_OUTAGE, action="mitigate", options=Options(minutes=30), by="t")
    assert on.result.outcome == Outcome.OK
    assert any("Ack-only mode ON" in line for line in on.result.lines)
    assert any(line.strip().startswith("- ") for line in on.result.lines)  # scale hints
    wsgi_post(notification("queued"))

    off = runbook_run(name=WEBHOOK_OUTAGE, action="mitigate", options=Options(off=True), by="t")

    assert off.result.outcome == Outcome.OK
    assert "1 stored" in "\n".join(off.result.lines)
    assert ack_only_active() is False
    assert MLNotification.objects.filter(dedup_key="ml:queued").exists()


def test_the_drain_task_does_nothing_without_work_and_drains_with_it():
    assert webhook_ack_only_drain.apply().get() == 0
    ack_only_enable(minutes=5)
    wsgi_post(notification("by-task"))

    assert webhook_ack_only_drain.apply().get() == 1
    assert MLNotification.objects.filter(dedup_key="ml:by-task").exists()


def test_the_beat_entry_is_installed_once_every_30_seconds_on_the_critical_queue():
    migration = import_module("operations.runbooks.migrations.0002_ack_only_drain_beat")
    migration.install(django_apps, None)
    migration.install(django_apps, None)

    entry = PeriodicTask.objects.get(name=migration.NAME)
    assert entry.task == "runbooks.webhook_ack_only_drain"
    assert entry.task in app.tasks
    assert (entry.interval.every, entry.interval.period) == (30, "seconds")
    assert entry.queue == "critical"
    assert PeriodicTask.objects.filter(task=entry.task).count() == 1
