"""Notifications over real HTTP: each channel its own task, a dead one never blocks the rest."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import urlsplit

from operations.incidents.channels import channels_for, escalation_priority
from operations.incidents.models import DeliveryStatus, Notification
from operations.incidents.services import incident_escalate_due, incident_fire
from operations.incidents.tasks import NOTIFY_MAX_RETRIES

T0 = datetime(2026, 11, 10, 12, 0, tzinfo=UTC)


def test_priority_thresholds_pick_the_runbook_channel_sets(settings):
    settings.NOTIFY_URLS = [
        "p2=json://slack.test/hook",
        "p1=json://mail.test/hook",
        "p0=json://sms.test/hook",
        "json://everything.test/hook",
    ]

    def hosts(priority: str) -> list[str]:
        return [c.url.split("/")[2] for c in channels_for(priority=priority)]

    assert hosts("P0") == ["slack.test", "mail.test", "sms.test", "everything.test"]
    assert hosts("P1") == ["slack.test", "mail.test", "everything.test"]
    assert hosts("P3") == ["everything.test"]
    assert escalation_priority(priority="P2") == "P1"
    assert escalation_priority(priority="P0") == "P0"


def test_secrets_are_masked_in_the_recorded_channel(settings):
    settings.NOTIFY_URLS = ["json://user:s3cret-token@hooks.test/x"]

    (channel,) = channels_for(priority="P0")

    assert "s3cret-token" not in channel.masked
    assert "hooks.test" in channel.masked


def test_a_failing_channel_is_recorded_failed_while_the_other_delivers(
    db, settings, receiver, closed_port, celery_eager, django_capture_on_commit_callbacks
):
    settings.NOTIFY_URLS = [
        f"p0=json://127.0.0.1:{closed_port}/dead",
        f"p1=json://127.0.0.1:{receiver.port}/alerts",
    ]

    with django_capture_on_commit_callbacks(execute=True):
        incident = incident_fire(
            key="ml_api_down:global",
            title="ML API 5xx > 50%",
            priority="P0",
            details={},
            runbook="ML API outage",
            now=T0,
        )

    assert incident.pk  # the caller got its incident despite the dead channel
    (message,) = receiver.received
    assert message["title"] == "[P0] ML API 5xx > 50%"
    assert "runbook: ML API outage" in message["message"]
    rows = {urlsplit(n.channel).path: n for n in Notification.objects.all()}
    assert rows["/alerts"].status == DeliveryStatus.SENT
    assert rows["/alerts"].attempts == 1
    assert rows["/alerts"].sent_at is not None
    assert rows["/dead"].status == DeliveryStatus.FAILED
    assert rows["/dead"].attempts == NOTIFY_MAX_RETRIES + 1
    assert rows["/dead"].error


def test_escalation_notifies_the_louder_set_and_a_repeat_fire_sends_nothing(
    db, settings, receiver, celery_eager, django_capture_on_commit_callbacks
):
    settings.NOTIFY_URLS = [
        f"p1=json://127.0.0.1:{receiver.port}/team",
        f"p0=json://127.0.0.1:{receiver.port}/pager",
    ]
    with django_capture_on_commit_callbacks(execute=True):
        incident_fire(key="auth:global", title="401 > 10%", priority="P1", details={}, now=T0)
        incident_fire(key="auth:global", title="401 > 10%", priority="P1", details={}, now=T0)
    assert Notification.objects.count() == 1

    with django_capture_on_commit_callbacks(execute=True):
        incident_escalate_due(now=datetime(2026, 11, 10, 12, 31, tzinfo=UTC))

    sent = Notification.objects.filter(reason="escalated", status=DeliveryStatus.SENT)
    assert sorted(urlsplit(n.channel).path for n in sent) == ["/pager", "/team"]
    assert len(receiver.received) == 3
