"""Errors the sandbox answers with, as types: handlers raise them, the WSGI edge renders them.

Bodies follow Mercado Livre's standard error shape (ml-api.md §5) unless a variant is named.
"""

from __future__ import annotations

INVALID_GRANT_MESSAGE = (
    "Error validating grant. Your authorization code or refresh token may be expired "
    "or it was already used"
)


class SandboxError(Exception):
    """A request the sandbox refuses, answered with ML's JSON error body."""

    def __init__(self, status: int, error: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.error = error
        self.message = message

    def body(self) -> dict[str, object]:
        return {"message": self.message, "error": self.error, "status": self.status, "cause": []}


class BadRequest(SandboxError):
    def __init__(self, message: str, error: str = "bad_request") -> None:
        super().__init__(400, error, message)


class NotFound(SandboxError):
    def __init__(self, message: str, error: str = "not_found") -> None:
        super().__init__(404, error, message)


class Forbidden(SandboxError):
    """A valid token asking for another seller's resource (ml-api.md §5, E403 wrong owner)."""

    def __init__(self) -> None:
        super().__init__(403, "access_denied", "access to the requested resource is forbidden")


class InvalidToken(SandboxError):
    """Missing, unknown or expired access token; rendered in the variant the faults select."""

    def __init__(self) -> None:
        super().__init__(401, "not_found", "invalid_token")


class OAuthError(SandboxError):
    """A refusal of ``POST /oauth/token``."""

    @classmethod
    def invalid_grant(cls) -> OAuthError:
        return cls(400, "invalid_grant", INVALID_GRANT_MESSAGE)

    @classmethod
    def invalid_client(cls) -> OAuthError:
        return cls(401, "invalid_client", "invalid client_id or client_secret")

    @classmethod
    def invalid_request(cls, message: str) -> OAuthError:
        return cls(400, "invalid_request", message)

    @classmethod
    def unsupported_grant_type(cls, grant_type: str) -> OAuthError:
        return cls(
            400,
            "unsupported_grant_type",
            f"grant_type {grant_type!r} is not supported; use authorization_code or refresh_token",
        )


class AuthorizationPageError(Exception):
    """A refusal of ``/authorization`` shown as an HTML page (never a redirect)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class TooManyRequests(SandboxError):
    """An injected 429; ``retry_after`` becomes a ``Retry-After`` header when set."""

    def __init__(self, retry_after: int | None) -> None:
        super().__init__(429, "too_many_requests", "Too Many Requests")
        self.retry_after = retry_after


class InternalError(SandboxError):
    def __init__(self) -> None:
        super().__init__(500, "internal_error", "Internal server error")
