"""Errors raised by the accounts services; views map them to form errors or statuses once."""

from __future__ import annotations

from core.errors import DomainError


class AccountError(DomainError):
    """Base class. ``field`` names the input at fault, when there is one."""


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
