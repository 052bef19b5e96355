"""OpenAPI schema hooks: only the canonical ``/api/v1/`` routes, and every error documented.

Every operation may answer the error shape (``Error``) with the statuses any endpoint can
produce (bad input, authentication, subscription, not found, rate limits); the hook adds them
so clients and schemathesis know the whole contract.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema

ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message", "details"],
            "properties": {
                "code": {"type": "string"},
                "message": {"type": "string"},
                "details": {"type": "object", "additionalProperties": True},
            },
        }
    },
}
COMMON_ERRORS = {
    "400": "The request is not valid (see `error.details.fields`).",
    "401": "No credentials, or a token that is unknown, revoked or expired.",
    "402": "The store's subscription does not allow this (read-only or blocked).",
    "403": "Authenticated, but not allowed (a session without its CSRF token).",
    "404": "Not found in this store.",
    "405": "Method not allowed.",
    "406": "Not acceptable.",
    "415": "Unsupported media type.",
    "429": "Rate limited; see Retry-After.",
}
WRITE_ERRORS = {
    "409": "Conflicts with the current state.",
    "422": "Refused by Mercado Livre.",
    "502": "Mercado Livre failed or could not be reached.",
    "503": "Mercado Livre is limiting requests; see Retry-After.",
}


def canonical_routes_only(endpoints: list[Any], **kwargs: Any) -> list[Any]:
    """Drop aliases (routes kept for old clients without the trailing slash)."""
    return [endpoint for endpoint in endpoints if endpoint[0].endswith("/")]


def error_responses(result: dict[str, Any], generator: Any, **kwargs: Any) -> dict[str, Any]:
    components = result.setdefault("components", {}).setdefault("schemas", {})
    components["Error"] = ERROR_SCHEMA
    ref = {"$ref": "#/components/schemas/Error"}
    for methods in result.get("paths", {}).values():
        for method, operation in methods.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            extra = dict(COMMON_ERRORS)
            if method in {"post", "put", "patch", "delete"}:
                extra.update(WRITE_ERRORS)
            for code, description in extra.items():
                operation["responses"].setdefault(
                    code,
                    {"description": description, "content": {"application/json": {"schema": ref}}},
                )
    return result


class BearerTokenScheme(OpenApiAuthenticationExtension):  # type: ignore[no-untyped-call]
    target_class = "api.authentication.BearerTokenAuthentication"
    name = "bearer"

    def get_security_definition(self, auto_schema: AutoSchema) -> dict[str, str]:
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "An API token from Settings → API tokens (ppk_…).",
        }
