"""What breach services raise; admin, commands and tasks turn them into messages or exit codes."""

from __future__ import annotations

from core.errors import DomainError


class BreachError(DomainError):
    """A breach-case operation could not be done; ``message`` is safe to show staff."""


class PhaseOutOfOrder(BreachError):
    """The phase asked for is not the next one (phases run in the runbook's order)."""


class NoticeIncomplete(BreachError):
    """The Art. 48 §1 minimum content is missing, so the notification cannot be recorded."""

    def __init__(self, missing: list[str]) -> None:
        super().__init__("Art. 48 §1 content missing: " + "; ".join(missing))
        self.missing = missing


class NotificationUndecided(BreachError):
    """The notification phase cannot end: neither notified nor a reason for not notifying."""
