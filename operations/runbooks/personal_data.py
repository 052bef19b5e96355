"""Personal data in runbook runs: none about data subjects; who ran a step is staff."""

from __future__ import annotations

from compliance.registry import not_personal
from operations.runbooks.models import RunbookRun

not_personal(
    RunbookRun,
    fields=["started_by"],
    reason=(
        "the OS user or e-mail of the Peepers operator (or 'celery') who ran a runbook step: "
        "an operator's accountability trail, not data about a seller or buyer"
    ),
)
