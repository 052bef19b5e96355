"""What running a runbook can refuse: an unknown runbook or action."""

from __future__ import annotations

from core.errors import DomainError


class RunbookError(DomainError):
    """Base of the runbook errors; the message says what is valid."""


class UnknownRunbook(RunbookError):
    pass


class UnknownAction(RunbookError):
    pass
