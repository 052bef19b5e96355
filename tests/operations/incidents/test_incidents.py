"""Incident lifecycle: deduplicated fire, acknowledge/resolve, escalation once per breach."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from operations.incidents.errors import IncidentAlreadyResolved
from operations.incidents.models import EventKind, Incident, State
from operations.incidents.services import (
    incident_acknowledge,
    incident_escalate_due,
    incident_fire,
    incident_resolve,
    incident_resolve_by_key,
)

T0 = datetime(2026, 11, 10, 12, 0, tzinfo=UTC)


def fire(key: str = "webhook_timeout:global", priority: str = "P0", *, now: datetime) -> Incident:
    return incident_fire(
        key=key, title="Webhook p95 > 500 ms", priority=priority, details={"p95": 700}, now=now
    )


@pytest.fixture(autouse=True)
def no_channels(settings):
    settings.NOTIFY_URLS = []


def test_firing_the_same_key_again_counts_instead_of_duplicating(db):
    first = fire(now=T0)
    again = fire(now=T0 + timedelta(seconds=30))

    assert again.pk == first.pk
    assert Incident.objects.count() == 1
    assert again.fire_count == 2
    assert again.last_seen_at == T0 + timedelta(seconds=30)
    assert again.triggered_at == T0
    assert list(again.events.values_list("kind", flat=True)) == ["fired", "notified"]


def test_a_fire_after_resolution_opens_a_new_incident(db):
    first = fire(now=T0)
    assert incident_resolve_by_key(key=first.key, now=T0 + timedelta(minutes=5)) is not None

    second = fire(now=T0 + timedelta(minutes=10))

    assert second.pk != first.pk
    assert second.state == State.TRIGGERED
    assert incident_resolve_by_key(key="nothing:open") is None


def test_acknowledge_and_resolve_record_when_and_who(db):
    incident = fire(now=T0)

    incident = incident_acknowledge(
        incident=incident, by="oncall@peepers.test", now=T0 + timedelta(minutes=4)
    )
    assert incident.state == State.ACKNOWLEDGED
    assert incident.acknowledged_at == T0 + timedelta(minutes=4)
    assert incident.acknowledged_by == "oncall@peepers.test"

    incident = incident_resolve(
        incident=incident, by="lead@peepers.test", note="rolled back", now=T0 + timedelta(hours=1)
    )
    assert incident.state == State.RESOLVED
    assert incident.resolved_at == T0 + timedelta(hours=1)
    assert incident.resolved_by == "lead@peepers.test"
    assert incident.acknowledged_by == "oncall@peepers.test"  # unchanged by resolving
    assert incident.resolution_note == "rolled back"
    kinds = list(incident.events.values_list("kind", "actor"))
    assert kinds[-2:] == [
        ("acknowledged", "oncall@peepers.test"),
        ("resolved", "lead@peepers.test"),
    ]
    with pytest.raises(IncidentAlreadyResolved):
        incident_acknowledge(incident=incident, by="late@peepers.test")


def test_resolving_an_unacknowledged_incident_counts_as_its_acknowledgement(db):
    incident = incident_resolve(
        incident=fire(now=T0), by="", note="alert cleared", now=T0 + timedelta(minutes=3)
    )
    assert incident.acknowledged_at == T0 + timedelta(minutes=3)


def test_response_breach_escalates_once_at_the_sla_and_not_before(db):
    incident = fire(priority="P1", now=T0)  # P1: respond 30 min, resolve 2 h

    assert incident_escalate_due(now=T0 + timedelta(minutes=29, seconds=59)) == []
    events = incident_escalate_due(now=T0 + timedelta(minutes=30))
    assert [e.kind for e in events] == [EventKind.ESCALATED]
    assert "response SLA" in events[0].message
    assert "P0 channels" in events[0].message  # the next louder set
    assert incident_escalate_due(now=T0 + timedelta(minutes=31)) == []
    assert incident_escalate_due(now=T0 + timedelta(minutes=90)) == []

    incident.refresh_from_db()
    assert incident.response_escalated_at == T0 + timedelta(minutes=30)


def test_resolution_breach_escalates_once_even_when_acknowledged(db):
    incident = fire(priority="P0", now=T0)  # P0: respond 15 min, resolve 1 h
    incident_acknowledge(incident=incident, by="oncall@peepers.test", now=T0 + timedelta(minutes=5))

    assert incident_escalate_due(now=T0 + timedelta(minutes=59)) == []  # acked: no response breach
    events = incident_escalate_due(now=T0 + timedelta(hours=1))
    assert len(events) == 1
    assert "resolution SLA" in events[0].message
    assert incident_escalate_due(now=T0 + timedelta(hours=3)) == []


def test_an_unacknowledged_incident_escalates_once_per_breach_kind(db):
    fire(priority="P2", now=T0)  # P2: respond 1 h, resolve 4 h

    late = incident_escalate_due(now=T0 + timedelta(hours=5))  # both breached at once

    assert sorted(e.message.split()[0] for e in late) == ["resolution", "response"]
    assert incident_escalate_due(now=T0 + timedelta(hours=6)) == []


def test_resolved_incidents_never_escalate(db):
    incident = fire(priority="P0", now=T0)
    incident_resolve(incident=incident, by="x@peepers.test", note="", now=T0 + timedelta(minutes=1))

    assert incident_escalate_due(now=T0 + timedelta(days=1)) == []


def test_the_timeline_is_append_only(db):
    event = fire(now=T0).events.first()
    assert event is not None

    event.message = "rewritten"
    with pytest.raises(ValueError, match="append-only"):
        event.save()
