"""The monthly SLA report on a known set of incidents, and its command."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from operations.incidents.models import Incident
from operations.incidents.report import sla_report

NOV = datetime(2026, 11, 3, 9, 0, tzinfo=UTC)


def incident(priority: str, ack: int | None, resolve: int | None, at: datetime = NOV) -> None:
    """An incident triggered ``at``, acknowledged and resolved after that many minutes."""
    Incident.objects.create(
        key=f"k{Incident.objects.count()}",
        title="t",
        priority=priority,
        state="resolved" if resolve is not None else "triggered",
        triggered_at=at,
        last_seen_at=at,
        acknowledged_at=at + timedelta(minutes=ack) if ack is not None else None,
        resolved_at=at + timedelta(minutes=resolve) if resolve is not None else None,
    )


@pytest.fixture
def known_month(db):
    incident("P0", ack=5, resolve=30)  # in SLA (15 min / 1 h)
    incident("P0", ack=25, resolve=90)  # both breached
    incident("P1", ack=10, resolve=150)  # resolution breached (2 h)
    incident("P2", ack=None, resolve=None, at=datetime(2026, 11, 30, 23, 0, tzinfo=UTC))
    incident("P0", ack=1, resolve=2, at=datetime(2026, 10, 31, 23, 59, tzinfo=UTC))  # October
    incident("P0", ack=1, resolve=2, at=datetime(2026, 12, 1, 0, 0, tzinfo=UTC))  # December


def test_mtta_mttr_and_breaches_per_priority(known_month):
    report = sla_report(month="2026-11", now=datetime(2026, 12, 1, 0, 30, tzinfo=UTC))
    rows = {row.priority: row for row in report.priorities}

    assert rows["P0"].incidents == 2
    assert rows["P0"].mtta_seconds == 15 * 60  # (5 + 25) / 2 minutes
    assert rows["P0"].mttr_seconds == 60 * 60  # (30 + 90) / 2 minutes
    assert rows["P0"].response_breaches == 1
    assert rows["P0"].resolution_breaches == 1
    assert rows["P1"].response_breaches == 0
    assert rows["P1"].resolution_breaches == 1
    # P2 is open for 90 min at `now`: past its 1 h response SLA, inside its 4 h resolution SLA.
    assert (rows["P2"].incidents, rows["P2"].mtta_seconds) == (1, None)
    assert (rows["P2"].response_breaches, rows["P2"].resolution_breaches) == (1, 0)
    assert rows["P3"].incidents == 0


def test_the_command_prints_json_and_a_table(known_month):
    out = StringIO()
    call_command("incident_report", "--month", "2026-11", "--json", stdout=out)
    data = json.loads(out.getvalue())
    assert data["month"] == "2026-11"
    assert [p["incidents"] for p in data["priorities"]] == [2, 1, 1, 0]

    out = StringIO()
    call_command("incident_report", "--month", "2026-11", stdout=out)
    assert "15.0 min" in out.getvalue()

    with pytest.raises(CommandError):
        call_command("incident_report", "--month", "2026-13")
