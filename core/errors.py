"""The base of every app's domain errors: services raise them, the edges map them once.

``message`` is written for the person acting (user or staff); ``field`` names the input at
fault, when there is one; ``retry_after`` says how many seconds to wait before trying again,
when the error knows (a provider's ``Retry-After``, a circuit breaker's reopen time). Each app
keeps its own base (``BillingError``, ``TenantError``…).
"""

from __future__ import annotations


class DomainError(Exception):
    """An operation could not be done; ``message`` says why, ``field`` where, if anywhere."""

    field: str | None = None
    retry_after: float | None = None

    def __init__(
        self, message: str, *, field: str | None = None, retry_after: float | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        if field is not None:
            self.field = field
        if retry_after is not None:
            self.retry_after = retry_after


def retry_after_of(exc: BaseException) -> float | None:
    """Seconds ``exc`` asks to wait before the operation may succeed; None when it does not say."""
    if isinstance(exc, DomainError) and exc.retry_after is not None:
        return max(0.0, float(exc.retry_after))
    return None
