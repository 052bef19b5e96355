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


# ML's 403 bodies by cause. The first two are verbatim from ML's "Error 403" page (error-403);
# "forbidden" is the generic body integrators report (mercadolibre/golang-restclient#9);
# ``unauthorized_application`` is the token endpoint's code for a blocked application
# (autenticacion-y-autorizacion). The other causes are listed on the 403 page without a body:
# their wording here is ours (docs/mercadolivre.md says so).
FORBIDDEN_BODIES: dict[str, dict[str, object]] = {
    "access_denied": {
        "status": 403,
        "error": "access_denied",
        "message": "access to the requested resource is forbidden",
        "code": "FORBIDDEN",
    },
    "invalid_scopes": {"status": 403, "error": "Invalid scopes", "code": "FORBIDDEN"},
    "forbidden": {"message": "forbidden", "error": "forbidden", "status": 403, "cause": []},
    "user_inactive": {
        "status": 403,
        "error": "forbidden",
        "message": "the user is inactive or was suspended by Mercado Libre",
        "code": "FORBIDDEN",
    },
    "ip_not_allowed": {
        "status": 403,
        "error": "forbidden",
        "message": "the request comes from an IP address not on the application's allowed list",
        "code": "FORBIDDEN",
    },
    "application_blocked": {
        "status": 403,
        "error": "unauthorized_application",
        "message": "the application is blocked or disabled",
        "code": "FORBIDDEN",
    },
    "pending_validation": {
        "status": 403,
        "error": "forbidden",
        "message": "the user has not completed the data validation process",
        "code": "FORBIDDEN",
    },
}


class Forbidden(SandboxError):
    """403; by default a valid token asking for another seller's resource (error-403)."""

    def __init__(self, cause: str = "access_denied") -> None:
        body = FORBIDDEN_BODIES[cause]
        super().__init__(403, str(body["error"]), str(body.get("message", body["error"])))
        self.cause = cause

    def body(self) -> dict[str, object]:
        return dict(FORBIDDEN_BODIES[self.cause])


class InvalidToken(SandboxError):
    """Missing, unknown or expired access token; rendered in the variant the faults select."""

    def __init__(self) -> None:
        super().__init__(401, "not_found", "invalid_token")


class OAuthError(SandboxError):
    """A refusal of ``POST /oauth/token``, in the token endpoint's documented shape:
    ``error_description`` where the API says ``message`` (autenticacion-y-autorizacion)."""

    def body(self) -> dict[str, object]:
        return {
            "error_description": self.message,
            "error": self.error,
            "status": self.status,
            "cause": [],
        }

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
