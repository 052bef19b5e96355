"""The runbook's "ML API Compliance" checklist, registered with compliance (its alerting item
is operations')."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings

from compliance.checklists import Outcome, check, checklist
from core.metrics import LATENCY_BUCKETS_MS, metric_read
from integrations.models import MLAuthorization, MLNotification

ML = checklist("ML API Compliance", position=3)


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


@check(ML, "Webhook 500ms timeout enforced", position=1)
def _ml_webhook(now: datetime) -> tuple[Outcome, str, dict[str, Any]]:
    assert 500 in LATENCY_BUCKETS_MS
    share, total = _share_within("ml_webhook_ack", 500, 60)
    if share is None:
        return Outcome.UNKNOWN, "no ML webhook received in the last hour", {}
    return (
        Outcome.of(share >= 0.99),
        f"{share:.2%} of {int(total)} webhooks answered within 500 ms in the last hour",
        {},
    )


@check(ML, "IP whitelist validation active", position=2)
def _ml_ips(now: datetime) -> tuple[Outcome, str, dict[str, Any]]:
    allowed = list(settings.ML_WEBHOOK_ALLOWED_IPS)
    if not allowed:
        return Outcome.FAIL, "ML_WEBHOOK_ALLOWED_IPS is empty: any address may post", {}
    return Outcome.PASS, f"{len(allowed)} address(es) or network(s) allowed", {}


@check(ML, "Rate limiting implemented", position=3)
def _ml_rate(now: datetime) -> tuple[Outcome, str, dict[str, Any]]:
    target = float(settings.ML_RATE_LIMIT_TARGET)
    return (
        Outcome.of(0 < target <= 0.8 and settings.ML_RATE_LIMIT_PER_MINUTE > 0),
        f"budget {settings.ML_RATE_LIMIT_PER_MINUTE}/min overall, "
        f"{settings.ML_SELLER_RATE_LIMIT_PER_MINUTE}/min per seller, {target:.0%} spent",
        {},
    )


@check(ML, "OAuth 2.0 + PKCE compliant", position=4)
def _ml_oauth(now: datetime) -> tuple[Outcome, str, dict[str, Any]]:
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
    return Outcome.of(without == 0), evidence, {}


@check(ML, "Token refresh rotation working", position=5)
def _ml_refresh(now: datetime) -> tuple[Outcome, str, dict[str, Any]]:
    counts = metric_read("ml_token_refresh", minutes=24 * 60)
    ok = counts.get("outcome=success", 0)
    total = sum(counts.values())
    if not total:
        return Outcome.UNKNOWN, "no token refresh in the last 24 hours", {}
    return (
        Outcome.of(ok / total > 0.99),
        f"{ok / total:.2%} of {int(total)} refreshes succeeded",
        {},
    )


@check(ML, "Error handling comprehensive", position=6)
def _ml_errors(now: datetime) -> tuple[Outcome, str, dict[str, Any]]:
    day = MLNotification.objects.filter(arrived_at__gte=now - timedelta(days=1))
    total = day.count()
    dead = day.filter(status="dead").count()
    if not total:
        return Outcome.UNKNOWN, "no notification in the last 24 hours", {}
    return Outcome.of(dead / total < 0.01), f"{dead} of {total} notifications dead in 24 h", {}
