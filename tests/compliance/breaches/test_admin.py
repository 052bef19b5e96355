"""Staff admin: list on the clock, form per phase, actions that advance, drafts, no delete."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from compliance.breaches.models import BreachCase, BreachDrill, Phase
from compliance.breaches.services import breach_affected_add
from tests.compliance.breaches.support import FACTS, assessed, open_case
from users.models import User

PASSWORD = "a-long-staff-password-1"


@pytest.fixture
def staff(db):
    User.objects.create_superuser("staff@peepers.test", PASSWORD)
    client = Client(HTTP_HOST="localhost")
    # Through the login page, as staff do (a real request carries the host the audit log reads).
    response = client.post(
        "/admin/login/?next=/admin/", {"username": "staff@peepers.test", "password": PASSWORD}
    )
    assert response.status_code == 302, response.content.decode()[:500]
    return client


def test_the_list_shows_status_deadline_and_countdown(staff):
    open_case(awareness_at=timezone.now() - timedelta(minutes=20))
    open_case(title="Vazamento antigo", awareness_at=timezone.now() - timedelta(days=8))

    page = staff.get("/admin/breaches/breachcase/?status__exact=containment")

    assert page.status_code == 200
    body = page.content.decode()
    assert "business days left" in body
    assert "overdue by" in body
    assert "Notify ANPD by" in body


def test_the_change_form_has_a_fieldset_per_phase_and_a_drafts_link(staff, tenant_a):
    case = assessed(open_case())
    breach_affected_add(case=case, tenant=tenant_a, subjects_count=2)

    page = staff.get(f"/admin/breaches/breachcase/{case.pk}/change/")

    body = page.content.decode()
    assert page.status_code == 200
    for legend in ("1. Containment", "2. Assessment", "3. Notification", "4. Recovery"):
        assert legend in body
    drafts = staff.get(f"/admin/breaches/breachcase/{case.pk}/drafts/")
    assert drafts.status_code == 200
    assert FACTS["risks"] in drafts.content.decode()
    assert tenant_a.owner_email in drafts.content.decode()


def test_staff_open_a_case_from_the_add_form(staff):
    awareness = (timezone.now() - timedelta(hours=1)).astimezone()
    response = staff.post(
        "/admin/breaches/breachcase/add/",
        {
            "title": "Phishing",
            "description": "Conta de staff comprometida",
            "awareness_at_0": awareness.strftime("%Y-%m-%d"),
            "awareness_at_1": awareness.strftime("%H:%M:%S"),
            "detected_by": "SOC",
            "detection_method": "alerta",
            "severity": "high",
        },
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    case = BreachCase.objects.get(title="Phishing")
    assert case.containment_started_by == "staff@peepers.test"
    assert case.status == Phase.CONTAINMENT


def test_the_advance_action_records_the_staff_member(staff):
    case = open_case()

    staff.post(
        "/admin/breaches/breachcase/",
        {"action": "advance_phase", "_selected_action": [case.pk]},
    )

    case.refresh_from_db()
    assert case.status == Phase.ASSESSMENT
    assert case.containment_finished_by == "staff@peepers.test"


def test_the_notification_action_is_refused_without_the_art48_content(staff):
    case = assessed(open_case(), risks="")
    BreachCase.objects.filter(pk=case.pk).update(
        anpd_protocol="123", subjects_notice_channel="e-mail"
    )

    page = staff.post(
        "/admin/breaches/breachcase/",
        {"action": "record_notification", "_selected_action": [case.pk]},
        follow=True,
    )

    assert "Art. 48 §1 content missing" in page.content.decode()
    case.refresh_from_db()
    assert case.anpd_notified_at is None


def test_the_register_downloads_as_csv(staff):
    case = open_case()

    response = staff.post(
        "/admin/breaches/breachcase/",
        {"action": "download_register", "_selected_action": [case.pk]},
    )

    assert response["Content-Type"] == "text/csv"
    assert case.title in response.content.decode()


def test_nothing_can_be_deleted_from_admin(staff):
    case = open_case()
    BreachDrill.objects.create(
        started_at=timezone.now(),
        finished_at=timezone.now(),
        run_by="x",
        outcome="passed",
        duration_ms=1,
    )

    assert staff.get(f"/admin/breaches/breachcase/{case.pk}/delete/").status_code == 403
    listing = staff.get("/admin/breaches/breachcase/").content.decode()
    assert "delete_selected" not in listing
    drill = BreachDrill.objects.get()
    assert staff.get(f"/admin/breaches/breachdrill/{drill.pk}/delete/").status_code == 403
    assert BreachCase.objects.filter(pk=case.pk).exists()


def test_drills_and_alerts_are_listed(staff):
    assert staff.get("/admin/breaches/breachdrill/").status_code == 200
    assert staff.get("/admin/breaches/breachalert/").status_code == 200
