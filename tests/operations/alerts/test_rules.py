"""The rule file: the runbook's YAML loads as written, and every mistake names its line."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from django.conf import settings

from operations.alerts.prometheus_rules import prometheus_rules_text
from operations.alerts.rules import RuleFileError, rules_load, rules_parse

# The runbook's "Alert Configuration" blocks, character for character (its blank lines
# between rules carry two spaces).
RUNBOOK_P0 = "\n".join(
    [
        "webhook_timeout:",
        "  condition: response_time > 500ms",
        "  threshold: 3 consecutive failures",
        '  notification: ["slack:alerts", "email:oncall", "sms:oncall"]',
        "  ",
        "ml_api_down:",
        "  condition: 5xx responses > 50%",
        "  threshold: 5 minutes",
        '  notification: ["slack:alerts", "email:oncall"]',
        "  ",
        "database_connection_failed:",
        "  condition: connection_errors > 0",
        "  threshold: immediate",
        '  notification: ["slack:alerts", "email:oncall", "sms:oncall"]',
        "",
    ]
)
RUNBOOK_P1 = "\n".join(
    [
        "authentication_failures:",
        "  condition: 401_errors > 10%",
        "  threshold: 10 minutes",
        '  notification: ["slack:alerts", "email:team"]',
        "  ",
        "rate_limit_exceeded:",
        "  condition: 429_responses > 5%",
        "  threshold: 15 minutes",
        '  notification: ["slack:alerts", "email:team"]',
        "",
    ]
)


def test_the_runbooks_yaml_loads_as_written():
    rules = {r.name: r for r in rules_parse(RUNBOOK_P0 + "\n" + RUNBOOK_P1).rules}

    assert list(rules) == [
        "webhook_timeout",
        "ml_api_down",
        "database_connection_failed",
        "authentication_failures",
        "rate_limit_exceeded",
    ]
    timeout = rules["webhook_timeout"]
    assert (timeout.condition.subject, timeout.condition.op, timeout.condition.threshold) == (
        "response_time",
        ">",
        500.0,
    )
    assert timeout.consecutive == 3
    assert timeout.streak
    assert timeout.channel_kinds == ("slack", "email", "sms")
    assert rules["ml_api_down"].condition.subject == "5xx_responses"
    assert rules["ml_api_down"].for_seconds == 300
    assert rules["database_connection_failed"].for_seconds == 0
    assert rules["database_connection_failed"].consecutive == 0
    assert rules["authentication_failures"].for_seconds == 600
    assert rules["rate_limit_exceeded"].condition.threshold == 5.0


def test_the_repository_file_holds_the_runbook_rules_with_their_priorities():
    ruleset = rules_load(Path(settings.ALERT_RULES_FILE))
    runbook = {r.name: r for r in rules_parse(RUNBOOK_P0 + RUNBOOK_P1).rules}

    for name, original in runbook.items():
        rule = ruleset.get(name)
        assert rule is not None, name
        assert rule.condition == original.condition
        assert (rule.for_seconds, rule.consecutive) == (original.for_seconds, original.consecutive)
        assert rule.notification == original.notification
    priorities = {r.name: r.priority for r in ruleset.rules if r.name in runbook}
    assert priorities == {
        "webhook_timeout": "P0",
        "ml_api_down": "P0",
        "database_connection_failed": "P0",
        "authentication_failures": "P1",
        "rate_limit_exceeded": "P1",
    }
    kpi_subjects = {r.condition.subject for r in ruleset.rules}
    assert {
        "api_p95",
        "error_rate",
        "uptime",
        "rate_limit_usage",
        "token_refresh_success",
        "webhook_delivery",
        "oauth_success",
    } <= kpi_subjects


GOOD = (
    "ok_rule:\n  condition: error_rate > 1%\n  threshold: 5 minutes\n"
    '  notification: ["email:team"]\n'
)


@pytest.mark.parametrize(
    ("text", "line", "reason"),
    [
        ("a: [unclosed\n", 2, "not valid YAML"),
        (
            GOOD
            + "ok_rule:\n  condition: error_rate > 2%\n  threshold: immediate\n"
            + "  notification: [email:x]\n",
            5,
            "defined twice (first on line 1)",
        ),
        (GOOD.replace("  threshold", "  thresold"), 3, "unknown key 'thresold'"),
        (GOOD.replace("  threshold: 5 minutes\n", ""), 1, "has no 'threshold'"),
        (
            GOOD.replace("error_rate > 1%", "error_rate is high"),
            2,
            "is not '<subject> <op> <number>",
        ),
        (GOOD.replace("error_rate > 1%", "cpu > 1%"), 2, "unknown subject 'cpu'"),
        (GOOD.replace("error_rate > 1%", "error_rate > 500ms"), 2, "error_rate is in %, not ms"),
        (GOOD.replace("error_rate > 1%", "error_rate > 150%"), 2, "between 0 and 100"),
        (GOOD.replace("5 minutes", "sometimes"), 3, "threshold 'sometimes' is not"),
        (GOOD.replace('["email:team"]', '["pager:team"]'), 4, "unknown channel kind 'pager'"),
        (GOOD.replace('["email:team"]', "[]"), 4, "names no channel"),
        (GOOD + "  priority: P9\n", 5, "priority must be one of"),
        (GOOD + "  window: 3 weeks\n", 5, "window must be a duration"),
        (GOOD + "  scope: tenant\n", 5, "error_rate can be scoped by: global"),
        (
            "slow:\n  condition: response_time > 300ms\n  threshold: 3 consecutive failures\n"
            "  notification: [slack:a]\n",
            3,
            "counts answers slower than 500 ms",
        ),
        ("- just\n- a list\n", 1, "must map rule names to rules"),
        ("", 1, "no rules"),
    ],
)
def test_a_malformed_rule_is_refused_with_its_line_and_reason(text, line, reason):
    with pytest.raises(RuleFileError) as caught:
        rules_parse(text, path="rules.yaml")

    assert caught.value.line == line, str(caught.value)
    assert reason in caught.value.reason
    assert str(caught.value).startswith(f"rules.yaml:{line}: ")


def test_the_same_file_generates_prometheus_rules():
    ruleset = rules_load(Path(settings.ALERT_RULES_FILE))

    text = prometheus_rules_text(ruleset)
    generated = {r["alert"]: r for r in yaml.safe_load(text)["groups"][0]["rules"]}

    assert "checklist_item_failing" not in generated
    assert "Not expressible in Prometheus (no series): checklist_item_failing" in text
    assert set(generated) == {r.name for r in ruleset.rules} - {"checklist_item_failing"}
    down = generated["ml_api_down"]
    assert down["for"] == "5m"
    assert down["labels"]["priority"] == "P0"
    assert down["expr"].endswith(" > 50")
    assert 'status=~"5xx|timeout|error"' in down["expr"]
    assert "approximation" in generated["webhook_timeout"]["annotations"]
    assert generated["authentication_failures"]["annotations"]["runbook"] == (
        "manage.py runbook oauth-refresh-failures diagnose"
    )
