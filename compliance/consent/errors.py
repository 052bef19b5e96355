"""What the consent services raise; ``message`` can be shown to the person acting."""

from __future__ import annotations

from core.errors import DomainError


class ConsentError(DomainError):
    """A consent operation could not be done; ``message`` can be shown to the person acting."""


class ConsentRecordImmutable(ConsentError):
    """A ledger row was asked to change or go away; the ledger is append-only."""


class ConsentNotApplicable(ConsentError):
    """The purpose does not rest on consent (contract, legal obligation…): nothing to grant."""
