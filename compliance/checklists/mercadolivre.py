"""The runbook's "ML API Compliance" checklist."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings

from compliance.checklists.base import Outcome, _ok, check
from peepers.metrics import LATENCY_BUCKETS_MS, metric_read

ML = "ML API Compliance"


def _share_within(name: str, limit_ms: int, minutes: int) -> tuple[float | None, float]:
    fields = metric_read(name, minutes=minutes)
    total = sum(v for k, v in fields.items() if k.endswith("|count"))
    if not total:
        return None, 0
    fast = sum(
        v
        for k, v in fields.items()
        if "|le_" in k and k.rsplit("le_", 1)[1] != "inf" and int(k.rsplit("le_", 1)[1]) <= limit_ms
    )
    return fast / total, total


@check(ML, "Webhook 500ms timeout enforced")
def _ml_webhook(now: datetime) -> tuple[Outcome, str, dict[str, Any]]:
    assert 500 in LATENCY_BUCKETS_MS
    share, total = _share_within("ml_webhook_ack", 500, 60)
    if share is None:
        return Outcome.UNKNOWN, "no ML webhook received in the last hour", {}
    return (
        _ok(share >= 0.99),
        f"{share:.2%} of {int(total)} webhooks answered within 500 ms in the last hour",
        {},
    )


@check(ML, "IP whitelist validation active")
def _ml_ips(now: datetime) -> tuple[Outcome, str, dict[str, Any]]:
    allowed = list(settings.ML_WEBHOOK_ALLOWED_IPS)
    if not allowed:
        return Outcome.FAIL, "ML_WEBHOOK_ALLOWED_IPS is empty: any address may post", {}
    return Outcome.PASS, f"{len(allowed)} address(es) or network(s) allowed", {}


@check(ML, "Rate limiting implemented")
def _ml_rate(now: datetime) -> tuple[Outcome, str, dict[str, Any]]:
    target = float(settings.ML_RATE_LIMIT_TARGET)
    return (
        _ok(0 < target <= 0.8 and settings.ML_RATE_LIMIT_PER_MINUTE > 0),
        f"budget {settings.ML_RATE_LIMIT_PER_MINUTE}/min overall, "
        f"{settings.ML_SELLER_RATE_LIMIT_PER_MINUTE}/min per seller, {target:.0%} spent",
        {},
    )


@check(ML, "OAuth 2.0 + PKCE compliant")
def _ml_oauth(now: datetime) -> tuple[Outcome, str, dict[str, Any]]:
    from integrations.models import MLAuthorization

    recent = MLAuthorization.objects.filter(created_at__gte=now - timedelta(days=30))
    without = recent.filter(code_verifier="").count()
    flow = metric_read("ml_oauth_flow", minutes=24 * 60)
    started = flow.get("outcome=started", 0)
    connected = flow.get("outcome=connected", 0)
    evidence = f"{recent.count()} connect attempt(s) in 30 days, {without} without a PKCE verifier"
    if started:
        evidence += f"; {connected / started:.0%} of flows started in 24 h connected"
    if not recent.exists():
        return Outcome.UNKNOWN, "no ML connect attempt in 30 days: nothing to check", {}
    return _ok(without == 0), evidence, {}


@check(ML, "Token refresh rotation working")
def _ml_refresh(now: datetime) -> tuple[Outcome, str, dict[str, Any]]:
    counts = metric_read("ml_token_refresh", minutes=24 * 60)
    ok = counts.get("outcome=success", 0)
    total = sum(counts.values())
    if not total:
        return Outcome.UNKNOWN, "no token refresh in the last 24 hours", {}
    return _ok(ok / total > 0.99), f"{ok / total:.2%} of {int(total)} refreshes succeeded", {}


@check(ML, "Error handling comprehensive")
def _ml_errors(now: datetime) -> tuple[Outcome, str, dict[str, Any]]:
    from integrations.models import MLNotification

    day = MLNotification.objects.filter(arrived_at__gte=now - timedelta(days=1))
    total = day.count()
    dead = day.filter(status="dead").count()
    if not total:
        return Outcome.UNKNOWN, "no notification in the last 24 hours", {}
    return _ok(dead / total < 0.01), f"{dead} of {total} notifications dead in 24 h", {}


@check(ML, "Monitoring alerts configured")
def _ml_alerts(now: datetime) -> tuple[Outcome, str, dict[str, Any]]:
    """The runbook's alert rules load, someone hears them, and the evaluator is running."""
    from operations.alerts.models import AlertState
    from operations.alerts.rules import RuleFileError, rules_load
    from operations.incidents.channels import channels_for

    try:
        ruleset = rules_load(Path(settings.ALERT_RULES_FILE))
    except RuleFileError as exc:
        return Outcome.FAIL, f"the alert rules file is rejected: {exc}", {}
    runbook = {
        "webhook_timeout",
        "ml_api_down",
        "database_connection_failed",
        "authentication_failures",
        "rate_limit_exceeded",
    }
    missing = sorted(runbook - {rule.name for rule in ruleset.rules})
    if missing:
        return Outcome.FAIL, f"runbook alert rules missing: {', '.join(missing)}", {}
    if not channels_for(priority="P0"):
        return Outcome.FAIL, "no NOTIFY_URLS channel hears P0 alerts", {}
    last = AlertState.objects.order_by("-evaluated_at").values_list("evaluated_at", flat=True)
    evaluated = last.first()
    if evaluated is None:
        return Outcome.UNKNOWN, f"{len(ruleset.rules)} rules load; never evaluated yet", {}
    if now - evaluated > timedelta(minutes=5):
        return (
            Outcome.FAIL,
            f"alert rules last evaluated {evaluated:%Y-%m-%d %H:%M} UTC: is beat running?",
            {},
        )
    return (
        Outcome.PASS,
        f"{len(ruleset.rules)} rules, P0 heard by {len(channels_for(priority='P0'))} "
        f"channel(s), evaluated {evaluated:%H:%M:%S} UTC",
        {"rules": len(ruleset.rules)},
    )
