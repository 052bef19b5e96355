"""The base of every app's domain errors: services raise them, the edges map them once.

``message`` is written for the person acting (user or staff); ``field`` names the input at
fault, when there is one. Each app keeps its own base (``BillingError``, ``TenantError``…).
"""

from __future__ import annotations


class DomainError(Exception):
    """An operation could not be done; ``message`` says why, ``field`` where, if anywhere."""

    field: str | None = None

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if field is not None:
            self.field = field
