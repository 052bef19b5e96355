"""Deadline alerts once per case and threshold; the drill runs end to end and records itself."""

import json
from datetime import timedelta

from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from compliance.breaches.alerts import breach_deadlines_due
from compliance.breaches.models import BreachAlert, BreachCase, BreachDrill
from compliance.breaches.register import register_rows
from compliance.breaches.tasks import breach_drill
from tests.compliance.breaches.support import open_case


def test_deadlines_near_or_passed_alert_once(db, settings, django_capture_on_commit_callbacks):
    settings.ADMINS = [("Staff", "oncall@peepers.test")]
    case = open_case(awareness_at=timezone.now() - timedelta(hours=2))

    with django_capture_on_commit_callbacks(execute=True):
        first = breach_deadlines_due(now=timezone.now())
    with django_capture_on_commit_callbacks(execute=True):
        second = breach_deadlines_due(now=timezone.now())

    # Containment (1 h) is overdue; the 3-business-day notice is days away.
    assert [(d.case_id, d.deadline, d.threshold, d.alerted_now) for d in first] == [
        (case.pk, "containment", "overdue", True)
    ]
    assert [d.alerted_now for d in second] == [False]
    assert len(mail.outbox) == 1
    assert f"Breach case #{case.pk}" in mail.outbox[0].subject
    assert BreachAlert.objects.filter(case=case).count() == 1


def test_without_staff_addresses_a_breach_alert_is_not_marked_sent(
    db, settings, django_capture_on_commit_callbacks
):
    case = open_case(awareness_at=timezone.now() - timedelta(hours=2))

    settings.ADMINS = []
    with django_capture_on_commit_callbacks(execute=True):
        unsent = breach_deadlines_due(now=timezone.now())
    settings.ADMINS = [("Staff", "oncall@peepers.test")]
    with django_capture_on_commit_callbacks(execute=True):
        sent = breach_deadlines_due(now=timezone.now())

    assert [d.alerted_now for d in unsent] == [False]
    assert [d.alerted_now for d in sent] == [True]
    assert [m.to for m in mail.outbox] == [["oncall@peepers.test"]]
    assert BreachAlert.objects.filter(case=case).count() == 1


def test_the_anpd_deadline_alerts_when_near_and_when_passed(db, django_capture_on_commit_callbacks):
    case = open_case(awareness_at=timezone.now() - timedelta(minutes=10))
    near = case.notification_due_at - timedelta(hours=6)
    passed = case.notification_due_at + timedelta(minutes=1)

    with django_capture_on_commit_callbacks(execute=True):
        at_near = {(d.deadline, d.threshold) for d in breach_deadlines_due(now=near)}
        at_passed = {(d.deadline, d.threshold) for d in breach_deadlines_due(now=passed)}

    assert ("anpd", "near") in at_near
    assert ("anpd", "overdue") in at_passed


def test_drills_and_closed_cases_never_alert(db):
    open_case(awareness_at=timezone.now() - timedelta(days=9), is_drill=True)

    assert breach_deadlines_due(now=timezone.now()) == []


def test_breach_drill_runs_the_procedure_and_records_itself(db, capsys):
    call_command("breach_drill", "--json", "--by", "dpo@peepers.test")

    report = json.loads(capsys.readouterr().out)
    drill = BreachDrill.objects.get(pk=report["drill_id"])
    assert report["outcome"] == drill.outcome == "passed", report["evidence"]
    assert drill.run_by == "dpo@peepers.test"
    assert all(step["ok"] for step in drill.evidence["steps"])
    assert len(drill.evidence["steps"]) >= 8
    case = drill.case
    assert case.is_drill
    assert case.status == "closed"
    assert case.anpd_notified_at <= case.notification_due_at
    assert case.pk not in {row["id"] for row in register_rows()}


def test_breach_drill_prints_its_steps(db, capsys):
    call_command("breach_drill")

    out = capsys.readouterr().out
    assert "ok   deadline arithmetic" in out
    assert "passed" in out.splitlines()[-1]


def test_the_drill_task_wraps_the_same_run(db):
    result = breach_drill.run(by="celery-test")

    assert result["outcome"] == "passed"
    assert BreachCase.objects.filter(is_drill=True).count() == 1
