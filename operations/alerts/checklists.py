"""The "ML API Compliance" checklist's alerting item, registered with compliance: the runbook's
alert rules load, someone hears them, and the evaluator is running."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings

from compliance.checklists import Outcome, check
from integrations.mercadolivre.checklists import ML
from operations.alerts.models import AlertState
from operations.alerts.rules import RuleFileError, rules_load
from operations.incidents.channels import channels_for


@check(ML, "Monitoring alerts configured", position=7)
def _ml_alerts(now: datetime) -> tuple[Outcome, str, dict[str, Any]]:
    """The runbook's alert rules load, someone hears them, and the evaluator is running."""
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
