"""Runbook jobs: the ack-only drainer (beat, every 30 s; a no-op unless there is work)."""

from __future__ import annotations

import logging

from core.tasks import task
from operations.runbooks.emergency import ack_only_drain, ack_only_state

logger = logging.getLogger(__name__)


@task(
    name="runbooks.webhook_ack_only_drain",
    queue="critical",
    tenant_scoped=False,
    soft_time_limit=110,
)
def webhook_ack_only_drain() -> int:
    """Store what ack-only mode queued; how many bodies were stored."""
    state = ack_only_state()
    if not state.on and not state.queued:
        return 0
    report = ack_only_drain()
    if report.stored or report.malformed or report.wrong_application:
        logger.info("ack-only drain: %s", report)
    return report.stored
