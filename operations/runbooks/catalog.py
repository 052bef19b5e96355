"""Every runbook, by name: title, priority and SLA from ``peepers-runbooks.md``, and its steps."""

from __future__ import annotations

from operations.runbooks import ml_api_down, oauth_refresh, rate_limit, webhook_outage
from operations.runbooks.errors import UnknownRunbook
from operations.runbooks.registry import (
    ML_API_DOWN,
    OAUTH_REFRESH_FAILURES,
    RATE_LIMIT_EXCEEDED,
    WEBHOOK_OUTAGE,
    Runbook,
)

RUNBOOKS: dict[str, Runbook] = {
    runbook.name: runbook
    for runbook in (
        Runbook(
            name=WEBHOOK_OUTAGE,
            title="Webhook Outage (500ms Timeout Violations)",
            priority="P0",
            sla="15 minutes response, 1 hour resolution",
            diagnose=webhook_outage.diagnose,
            mitigate=webhook_outage.mitigate,
            validate=webhook_outage.validate,
        ),
        Runbook(
            name=OAUTH_REFRESH_FAILURES,
            title="OAuth Token Refresh Failures",
            priority="P1",
            sla="30 minutes response, 2 hours resolution",
            diagnose=oauth_refresh.diagnose,
            mitigate=oauth_refresh.mitigate,
            validate=oauth_refresh.validate,
        ),
        Runbook(
            name=RATE_LIMIT_EXCEEDED,
            title="Rate Limit Exceeded (ML API)",
            priority="P2",
            sla="1 hour response, 4 hours resolution",
            diagnose=rate_limit.diagnose,
            mitigate=rate_limit.mitigate,
            validate=rate_limit.validate,
        ),
        Runbook(
            name=ML_API_DOWN,
            title="Mercado Livre API Down (5xx over 50%)",
            priority="P0",
            sla="15 minutes response, 1 hour resolution",
            diagnose=ml_api_down.diagnose,
            mitigate=ml_api_down.mitigate,
            validate=ml_api_down.validate,
        ),
    )
}


def runbook_get(name: str) -> Runbook:
    try:
        return RUNBOOKS[name]
    except KeyError:
        raise UnknownRunbook(f"unknown runbook {name!r}; valid: {', '.join(RUNBOOKS)}") from None
