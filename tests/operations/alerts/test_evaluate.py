"""Each runbook alert fires on a metric stream that meets it and stays quiet just below it;
incidents are deduplicated, resolve after the condition clears, and flapping holds them."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings

from compliance.models import ComplianceReport
from core.metrics import metric_count, metric_observe, metrics_flush
from operations.alerts.models import AlertState, RuleFile
from operations.alerts.rules import RuleFileError, rules_parse
from operations.alerts.services import alerts_evaluate, rules_in_force
from operations.incidents.models import Incident, Notification, State
from tests.operations.alerts.conftest import at

pytestmark = pytest.mark.django_db


def rules():
    return rules_in_force(now=at())


def evaluate(ruleset, minutes=0.0, seconds=0.0, only=None):
    selected = ruleset
    if only:
        selected = rules_parse("\n".join(_rule_text(ruleset, name) for name in only))
    return {
        (e.rule, e.scope): e for e in alerts_evaluate(ruleset=selected, now=at(minutes, seconds))
    }


def _rule_text(ruleset, name):
    # Re-parse the one rule from the file text so other rules do not run in the test.
    text = ruleset.text
    start = text.index(f"\n{name}:\n") + 1
    rest = text[start:].split("\n\n", 1)[0]
    return rest + "\n"


def open_incident(key):
    return Incident.objects.exclude(state=State.RESOLVED).filter(key=key).first()


def webhook_acks(ms_list, minute=0.0):
    for i, ms in enumerate(ms_list):
        metric_observe("ml_webhook_ack", {"outcome": "accepted"}, ms, at=at(minute, i).timestamp())
    metrics_flush()


# -- webhook_timeout: 3 consecutive answers over 500 ms ------------------------------------------


def test_two_slow_webhooks_then_a_fast_one_do_not_fire_webhook_timeout():
    ruleset = rules()
    webhook_acks([620, 700, 40, 650, 30])

    result = evaluate(ruleset, seconds=30, only=["webhook_timeout"])

    assert result[("webhook_timeout", "")].status == "ok"
    assert open_incident("alert:webhook_timeout") is None


def test_three_slow_webhooks_in_a_row_fire_webhook_timeout_as_p0():
    ruleset = rules()
    webhook_acks([40, 620, 700, 810, 30])  # the run ended before the evaluation: still fires

    result = evaluate(ruleset, seconds=30, only=["webhook_timeout"])

    assert result[("webhook_timeout", "")].action == "fired"
    incident = open_incident("alert:webhook_timeout")
    assert incident.priority == "P0"
    assert incident.runbook == "webhook-outage"
    assert incident.details["value"] == 3
    assert incident.details["channels"] == ["slack:alerts", "email:oncall", "sms:oncall"]


def test_a_slow_run_spanning_two_flushes_still_counts_as_consecutive():
    ruleset = rules()
    webhook_acks([40, 600, 600])
    webhook_acks([700], minute=0.5)

    result = evaluate(ruleset, minutes=1, only=["webhook_timeout"])

    assert result[("webhook_timeout", "")].status == "firing"


def test_webhook_timeout_resolves_after_five_clear_minutes_not_before():
    ruleset = rules()
    webhook_acks([600, 600, 600])
    evaluate(ruleset, seconds=30, only=["webhook_timeout"])

    webhook_acks([40, 35], minute=1)
    assert (
        evaluate(ruleset, minutes=1, seconds=30, only=["webhook_timeout"])[
            ("webhook_timeout", "")
        ].status
        == "firing"
    )
    webhook_acks([40], minute=6)
    assert (
        evaluate(ruleset, minutes=6, seconds=20, only=["webhook_timeout"])[
            ("webhook_timeout", "")
        ].status
        == "firing"
    )  # clear for 4 min 50 s
    webhook_acks([40], minute=6.5)
    result = evaluate(ruleset, minutes=6, seconds=40, only=["webhook_timeout"])

    assert result[("webhook_timeout", "")].action == "resolved"
    assert open_incident("alert:webhook_timeout") is None
    assert Incident.objects.get(key="alert:webhook_timeout").state == State.RESOLVED


# -- ml_api_down: 5xx > 50% for 5 minutes --------------------------------------------------------


def ml_calls(minute, *, total, bad, status="5xx", tenant="tenant_a"):
    stamp = at(minute, 10).timestamp()
    metric_count(
        "ml_api_calls", {"status": status, "tenant": tenant, "endpoint": "/items"}, bad, at=stamp
    )
    if total - bad:
        metric_count(
            "ml_api_calls",
            {"status": "2xx", "tenant": tenant, "endpoint": "/items"},
            total - bad,
            at=stamp,
        )
    metrics_flush()


@pytest.mark.parametrize(
    ("rule", "status", "bad_share", "minutes", "fires"),
    [
        ("ml_api_down", "5xx", 60, 5, True),
        ("ml_api_down", "5xx", 50, 8, False),  # exactly 50% is not "> 50%"
        ("ml_api_down", "5xx", 60, 4, False),  # not yet five minutes
        ("authentication_failures", "401", 11, 10, True),
        ("authentication_failures", "401", 10, 12, False),
        ("authentication_failures", "401", 11, 9, False),
        ("rate_limit_exceeded", "429", 6, 15, True),
        ("rate_limit_exceeded", "429", 5, 17, False),
        ("rate_limit_exceeded", "429", 6, 14, False),
    ],
)
def test_ratio_rules_fire_only_when_met_for_their_whole_duration(
    rule, status, bad_share, minutes, fires
):
    ruleset = rules()
    results = {}
    for minute in range(minutes + 1):
        ml_calls(minute, total=100, bad=bad_share, status=status)
        results = evaluate(ruleset, minutes=minute, seconds=30, only=[rule])

    assert (results[(rule, "")].status == "firing") is fires
    assert (open_incident(f"alert:{rule}") is not None) is fires


def test_too_few_samples_is_unknown_never_ok():
    ruleset = rules()
    ml_calls(0, total=9, bad=9)

    result = evaluate(ruleset, seconds=30, only=["ml_api_down"])[("ml_api_down", "")]

    assert result.status == "unknown"
    assert "only 9 samples (needs 10)" in result.detail


def test_no_data_is_unknown_and_a_firing_alert_stays_open_without_data():
    ruleset = rules()
    assert evaluate(ruleset, only=["ml_api_down"])[("ml_api_down", "")].status == "unknown"
    for minute in range(6):
        ml_calls(minute, total=20, bad=20)
        evaluate(ruleset, minutes=minute, seconds=30, only=["ml_api_down"])
    assert open_incident("alert:ml_api_down") is not None

    result = evaluate(ruleset, minutes=30, only=["ml_api_down"])  # nothing since minute 5

    assert result[("ml_api_down", "")].status == "firing"
    assert open_incident("alert:ml_api_down") is not None


# -- database_connection_failed: immediate ---------------------------------------------------------


def test_a_database_connection_error_fires_at_once():
    ruleset = rules()
    metric_count("health_probe", {"check": "database", "outcome": "up"}, 3, at=at(0, 5).timestamp())
    metrics_flush()
    assert (
        evaluate(ruleset, seconds=30, only=["database_connection_failed"])[
            ("database_connection_failed", "")
        ].status
        == "ok"
    )

    metric_count("db_connection_errors", {"where": "request"}, at=at(1, 5).timestamp())
    metrics_flush()
    result = evaluate(ruleset, minutes=1, seconds=10, only=["database_connection_failed"])

    assert result[("database_connection_failed", "")].action == "fired"
    assert open_incident("alert:database_connection_failed").priority == "P0"


# -- dedup, channels, scopes, flapping ------------------------------------------------------------


def test_a_rule_that_keeps_firing_is_one_incident_notified_once(settings, receiver):
    settings.NOTIFY_URLS = [
        f"json://127.0.0.1:{receiver.port}/",
        "mailto://oncall:secret@mail.example.com?to=oncall@example.com",
        "tgram://123456:abcdef/987",
    ]
    ruleset = rules()
    for minute in range(12):
        ml_calls(minute, total=100, bad=100)
        evaluate(ruleset, minutes=minute, seconds=30, only=["ml_api_down"])

    incidents = Incident.objects.filter(key="alert:ml_api_down")
    assert incidents.count() == 1
    assert incidents[0].fire_count == 7  # fired at minute 5, seen again at 6..11
    sent_to = sorted(n.channel.split("://")[0] for n in Notification.objects.all())
    assert sent_to == ["mailto"]  # the rule names slack and email; telegram and json stay quiet


def test_without_any_channel_of_the_rules_kinds_every_channel_of_the_priority_hears_it(
    settings, receiver
):
    settings.NOTIFY_URLS = [f"json://127.0.0.1:{receiver.port}/"]
    ruleset = rules()
    metric_count("db_connection_errors", {"where": "request"}, at=at(0, 5).timestamp())
    metrics_flush()

    evaluate(ruleset, seconds=10, only=["database_connection_failed"])

    assert [n.channel.split("://")[0] for n in Notification.objects.all()] == ["json"]


def test_a_tenant_scoped_rule_opens_one_incident_per_store():
    ruleset = rules_parse(
        "store_auth:\n  condition: 401_errors > 10%\n  threshold: immediate\n"
        "  notification: [email:team]\n  scope: tenant\n"
    )
    ml_calls(0, total=10, bad=5, status="401", tenant="tenant_a")
    ml_calls(0, total=10, bad=0, status="401", tenant="tenant_b")

    result = alerts_evaluate(ruleset=ruleset, now=at(0, 30))

    by_scope = {e.scope: e.status for e in result}
    assert by_scope == {"tenant_a": "firing", "tenant_b": "ok"}
    assert open_incident("alert:store_auth:tenant_a") is not None
    assert open_incident("alert:store_auth:tenant_b") is None


def test_a_tenant_scoped_incident_names_its_store_and_a_global_one_none(tenant_a):
    ruleset = rules_parse(
        "store_auth:\n  condition: 401_errors > 10%\n  threshold: immediate\n"
        "  notification: [email:team]\n  scope: tenant\n"
        "all_auth:\n  condition: 401_errors > 10%\n  threshold: immediate\n"
        "  notification: [email:team]\n"
    )
    ml_calls(0, total=10, bad=5, status="401", tenant=tenant_a.schema_name)

    alerts_evaluate(ruleset=ruleset, now=at(0, 30))

    assert open_incident(f"alert:store_auth:{tenant_a.schema_name}").tenant == tenant_a
    assert open_incident("alert:all_auth").tenant is None


def test_a_flapping_rule_must_stay_clear_half_an_hour_before_it_resolves_again():
    ruleset = rules_parse(
        "flappy:\n  condition: 5xx_responses > 50%\n  threshold: immediate\n"
        "  notification: [slack:a]\n  resolve_after: 1 minute\n"
    )
    minute = 0
    for _ in range(3):  # fire, clear 1 min, resolve: 6 transitions
        ml_calls(minute, total=10, bad=10)
        alerts_evaluate(ruleset=ruleset, now=at(minute, 30))
        for step in (2, 3, 4):
            ml_calls(minute + step, total=10, bad=0)
            alerts_evaluate(ruleset=ruleset, now=at(minute + step, 30))
        minute += 6
    assert Incident.objects.filter(key="alert:flappy").count() == 3
    ml_calls(minute, total=10, bad=10)
    alerts_evaluate(ruleset=ruleset, now=at(minute, 30))
    for step in range(2, 30):
        ml_calls(minute + step, total=10, bad=0)
        alerts_evaluate(ruleset=ruleset, now=at(minute + step, 30))

    state = AlertState.objects.get(rule="flappy")
    assert state.status == "firing"  # 28 clear minutes: a flapping rule holds
    assert open_incident("alert:flappy").details["flapping"] is True
    ml_calls(minute + 33, total=10, bad=0)
    alerts_evaluate(ruleset=ruleset, now=at(minute + 33, 30))
    assert AlertState.objects.get(rule="flappy").status == "ok"


def test_a_rule_removed_from_the_file_resolves_its_incident():
    ruleset = rules()
    metric_count("db_connection_errors", {"where": "request"}, at=at(0, 5).timestamp())
    metrics_flush()
    evaluate(ruleset, seconds=10, only=["database_connection_failed"])

    alerts_evaluate(ruleset=rules_parse(_rule_text(ruleset, "error_rate")), now=at(1))

    assert open_incident("alert:database_connection_failed") is None
    assert not AlertState.objects.filter(rule="database_connection_failed").exists()


# -- checklists ----------------------------------------------------------------------------------


def test_each_failing_checklist_item_is_its_own_incident_and_resolves_when_it_passes():
    ruleset = rules()
    item = {"checklist": "ML API Compliance", "item": "Rate limiting implemented"}
    ComplianceReport.objects.create(
        created_by="test",
        passed=1,
        failed=1,
        unknown=0,
        results=[
            {**item, "outcome": "fail", "evidence": "no budget configured", "details": {}},
            {
                "checklist": "LGPD",
                "item": "DPO contact updated",
                "outcome": "pass",
                "evidence": "",
                "details": {},
            },
        ],
    )
    evaluate(ruleset, only=["checklist_item_failing"])
    key = "alert:checklist_item_failing:ML API Compliance: Rate limiting implemented"
    assert open_incident(key).priority == "P3"
    assert open_incident("alert:checklist_item_failing:LGPD: DPO contact updated") is None

    ComplianceReport.objects.create(
        created_by="test",
        passed=1,
        failed=0,
        unknown=0,
        results=[{**item, "outcome": "pass", "evidence": "", "details": {}}],
    )
    evaluate(ruleset, minutes=1, only=["checklist_item_failing"])

    assert open_incident(key) is None


# -- a broken rule file ----------------------------------------------------------------------------


def test_a_broken_rule_file_keeps_the_previous_rules_and_opens_an_incident(tmp_path: Path):
    good = rules_in_force(now=at())
    broken = tmp_path / "rules.yaml"
    original = Path(settings.ALERT_RULES_FILE).read_text()
    broken.write_text(original + "\nbad_rule:\n  condition: nonsense\n")

    kept = rules_in_force(path=broken, now=at(1))

    assert [r.name for r in kept.rules] == [r.name for r in good.rules]
    incident = open_incident("alert-rules-invalid")
    assert incident.details["line"] == len(original.splitlines()) + 2  # the bad_rule: line
    assert "has no 'threshold'" in incident.title
    assert RuleFile.objects.get().error.startswith(str(broken))

    rules_in_force(now=at(2))

    assert open_incident("alert-rules-invalid") is None
    assert RuleFile.objects.get().error == ""


def test_a_broken_rule_file_with_nothing_loaded_before_is_an_error(tmp_path: Path):
    broken = tmp_path / "rules.yaml"
    broken.write_text("x: [\n")

    with pytest.raises(RuleFileError):
        rules_in_force(path=broken, now=at())
