"""Staff acknowledge and resolve from the admin list, recorded under their own e-mail."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from operations.incidents.models import Incident, State
from operations.incidents.services import incident_fire
from users.models import User

PASSWORD = "a-long-staff-password-1"
STAFF = "oncall@peepers.test"


@pytest.fixture
def staff(db, settings):
    settings.NOTIFY_URLS = []
    User.objects.create_superuser(STAFF, PASSWORD)
    client = Client(HTTP_HOST="localhost")
    response = client.post("/admin/login/?next=/admin/", {"username": STAFF, "password": PASSWORD})
    assert response.status_code == 302, response.content.decode()[:500]
    return client


def fire(key: str, minutes_ago: int) -> Incident:
    return incident_fire(
        key=key,
        title=f"alert {key}",
        priority="P0",
        details={},
        now=timezone.now() - timedelta(minutes=minutes_ago),
    )


def test_the_list_shows_the_sla_clock_and_filters(staff):
    fire("fresh", minutes_ago=5)
    fire("late", minutes_ago=40)

    body = staff.get("/admin/incidents/incident/?state__exact=triggered").content.decode()

    assert re.search(r"respond within (9|10)m", body)
    assert re.search(r"respond SLA breached 2[45]m ago", body)
    page = staff.get(f"/admin/incidents/incident/{Incident.objects.get(key='late').pk}/change/")
    assert page.status_code == 200
    assert "fired" in page.content.decode()


@pytest.mark.parametrize(
    ("action", "state", "field"),
    [
        ("acknowledge", State.ACKNOWLEDGED, "acknowledged_by"),
        ("resolve", State.RESOLVED, "resolved_by"),
    ],
)
def test_actions_record_the_staff_member(staff, action, state, field):
    incident = fire("x", minutes_ago=1)

    response = staff.post(
        "/admin/incidents/incident/",
        {"action": action, "_selected_action": [incident.pk]},
    )

    assert response.status_code == 302
    incident.refresh_from_db()
    assert incident.state == state
    assert getattr(incident, field) == STAFF
    assert incident.events.filter(actor=STAFF).exists()


def test_notifications_are_read_only(staff):
    assert staff.get("/admin/incidents/notification/").status_code == 200
    assert staff.get("/admin/incidents/notification/add/").status_code == 403
