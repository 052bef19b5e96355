"""What the consent services raise; ``message`` can be shown to the person acting."""

from __future__ import annotations


class ConsentError(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ConsentRecordImmutable(ConsentError):
    """A ledger row was asked to change or go away; the ledger is append-only."""


class ConsentNotApplicable(ConsentError):
    """The purpose does not rest on consent (contract, legal obligation…): nothing to grant."""
