"""The ML checklist's "Monitoring alerts configured" reads the real rules, channels and
evaluator, instead of answering unknown."""

from __future__ import annotations

from datetime import timedelta

import pytest

from compliance.checklists import Outcome, checks
from operations.alerts.services import alerts_evaluate, rules_in_force
from tests.operations.alerts.conftest import at

pytestmark = pytest.mark.django_db


def monitoring_check(now):
    (func,) = [i.func for i in checks() if i.item == "Monitoring alerts configured"]
    return func(now)


def test_no_notification_channel_fails(settings):
    settings.NOTIFY_URLS = []

    outcome, evidence, _ = monitoring_check(at())

    assert outcome == Outcome.FAIL
    assert "no NOTIFY_URLS channel hears P0" in evidence


def test_rules_heard_but_never_evaluated_is_unknown_then_pass_then_stale(settings):
    settings.NOTIFY_URLS = ["json://127.0.0.1:9/"]
    assert monitoring_check(at())[0] == Outcome.UNKNOWN

    alerts_evaluate(ruleset=rules_in_force(now=at()), now=at())

    assert monitoring_check(at(1))[0] == Outcome.PASS
    outcome, evidence, _ = monitoring_check(at() + timedelta(minutes=6))
    assert outcome == Outcome.FAIL
    assert "is beat running?" in evidence


def test_a_rejected_rule_file_fails(settings, tmp_path):
    settings.NOTIFY_URLS = ["json://127.0.0.1:9/"]
    broken = tmp_path / "rules.yaml"
    broken.write_text("webhook_timeout: [\n")
    settings.ALERT_RULES_FILE = broken

    outcome, evidence, _ = monitoring_check(at())

    assert outcome == Outcome.FAIL
    assert "rejected" in evidence
