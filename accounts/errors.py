"""Errors raised by the accounts services; views map them to form errors or statuses once."""

from __future__ import annotations


class AccountError(Exception):
    """Base class. ``field`` names the input at fault, when there is one."""

    field: str | None = None

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if field is not None:
            self.field = field


class NotAllowed(AccountError):
    """The acting user's role does not allow this change."""


class LastOwner(AccountError):
    """The change would leave the store without an owner."""


class AlreadyMember(AccountError):
    field = "email"


class InvalidCode(AccountError):
    """A two-factor code did not verify."""

    field = "code"


class ContactEmailTaken(AccountError):
    field = "owner_email"
