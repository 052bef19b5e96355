"""Errors the emulator answers with, as types: services raise them, the WSGI edge renders them.

Bodies follow Stripe's v1 shape ``{"error": {"type", "code", "message", "param", ...}}`` so the
real SDK maps them to its own exception classes (``InvalidRequestError``, ``CardError``...).
"""

from __future__ import annotations


class StripeError(Exception):
    """A request the emulator refuses, rendered as Stripe's JSON error body."""

    def __init__(
        self,
        status: int,
        type_: str,
        message: str,
        *,
        code: str | None = None,
        param: str | None = None,
        extra: dict[str, object] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.type = type_
        self.message = message
        self.code = code
        self.param = param
        self.extra = dict(extra or {})

    def body(self) -> dict[str, object]:
        error: dict[str, object] = {"type": self.type, "message": self.message}
        if self.code is not None:
            error["code"] = self.code
        if self.param is not None:
            error["param"] = self.param
        error.update(self.extra)
        return {"error": error}


class InvalidRequest(StripeError):
    """400 ``invalid_request_error``: a bad parameter or a request the object's state refuses."""

    def __init__(self, message: str, *, param: str | None = None, code: str | None = None) -> None:
        super().__init__(400, "invalid_request_error", message, code=code, param=param)


class ParameterMissing(InvalidRequest):
    def __init__(self, param: str) -> None:
        super().__init__(f"Missing required param: {param}.", param=param, code="parameter_missing")


class ParameterInvalid(InvalidRequest):
    def __init__(self, param: str, message: str) -> None:
        super().__init__(message, param=param, code="parameter_invalid_string")


class UnknownParameter(InvalidRequest):
    def __init__(self, param: str) -> None:
        super().__init__(
            f"Received unknown parameter: {param} (the Peepers Stripe emulator does not "
            "implement it)",
            param=param,
            code="parameter_unknown",
        )


class ResourceMissing(StripeError):
    """404 for an unknown id: ``No such customer: 'cus_x'``."""

    def __init__(self, kind: str, object_id: str, *, param: str | None = "id") -> None:
        super().__init__(
            404,
            "invalid_request_error",
            f"No such {kind}: '{object_id}'",
            code="resource_missing",
            param=param,
        )


class RouteMissing(StripeError):
    def __init__(self, method: str, path: str) -> None:
        super().__init__(
            404,
            "invalid_request_error",
            f"Unrecognized request URL ({method}: {path}). Please see https://stripe.com/docs "
            "or we can help at https://support.stripe.com/.",
        )


class AuthenticationFailed(StripeError):
    def __init__(self, message: str) -> None:
        super().__init__(401, "invalid_request_error", message, code="api_key_invalid")


class CardDeclined(StripeError):
    """402 ``card_error``, as Stripe answers a payment the card refuses during the request."""

    def __init__(
        self,
        message: str,
        *,
        code: str = "card_declined",
        decline_code: str | None = "generic_decline",
        charge: str | None = None,
        payment_intent: str | None = None,
    ) -> None:
        extra: dict[str, object] = {}
        if decline_code is not None:
            extra["decline_code"] = decline_code
        if charge is not None:
            extra["charge"] = charge
        if payment_intent is not None:
            extra["payment_intent"] = {"id": payment_intent, "object": "payment_intent"}
        super().__init__(402, "card_error", message, code=code, extra=extra)


class IdempotencyMismatch(StripeError):
    def __init__(self, key: str) -> None:
        super().__init__(
            400,
            "idempotency_error",
            "Keys for idempotent requests can only be used with the same parameters they were "
            f"first used with. Try using a key other than '{key}' if you meant to execute a "
            "different request.",
        )


class RateLimited(StripeError):
    def __init__(self) -> None:
        super().__init__(
            429,
            "rate_limit_error",
            "Request rate limit exceeded. Learn more about rate limits here "
            "https://stripe.com/docs/rate-limits.",
            code="rate_limit",
        )


class ApiFailure(StripeError):
    def __init__(self, message: str = "An unknown error occurred") -> None:
        super().__init__(500, "api_error", message)
