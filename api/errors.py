"""What the API's services raise and the DRF exceptions the edge answers with.

Every error the API answers has one shape (``api.error_handlers``); each exception here carries
its HTTP status and a stable ``default_code`` clients can switch on.
"""

from __future__ import annotations

from typing import Any

from rest_framework import status
from rest_framework.exceptions import APIException

from core.errors import DomainError


class ApiTokenError(DomainError):
    """An API token could not be issued or changed as asked."""


class ApiTokenInvalid(ApiTokenError):
    """A token name that is empty or too long, or an expiry in the past."""


class ApiError(APIException):
    """An API answer with a status, a code, a message and optional details."""

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        details: dict[str, Any] | None = None,
        retry_after: int | None = None,
    ) -> None:
        super().__init__(detail=message, code=code or self.default_code)
        self.details = details or {}
        self.retry_after = retry_after


class BadRequest(ApiError):
    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "bad_request"
    default_detail = "The request is not valid."


class PaymentRequired(ApiError):
    status_code = status.HTTP_402_PAYMENT_REQUIRED
    default_code = "payment_required"
    default_detail = "The store's subscription does not allow this."


class Conflict(ApiError):
    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"
    default_detail = "The request conflicts with the current state."


class Unprocessable(ApiError):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_code = "unprocessable"
    default_detail = "The request was understood but refused."


class TooManyRequests(ApiError):
    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    default_code = "rate_limited"
    default_detail = "Too many requests."


class BadGateway(ApiError):
    status_code = status.HTTP_502_BAD_GATEWAY
    default_code = "upstream_error"
    default_detail = "Mercado Livre could not be reached."


class UpstreamUnavailable(ApiError):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_code = "upstream_unavailable"
    default_detail = "Mercado Livre is busy; try again shortly."
