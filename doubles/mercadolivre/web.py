"""What the sandbox's views share: the route record, the call context and response builders."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Literal

from werkzeug.wrappers import Request, Response

from doubles import harness
from doubles.mercadolivre.errors import InvalidToken, SandboxError, TooManyRequests
from doubles.mercadolivre.oauth import AccessToken
from doubles.mercadolivre.state import SandboxState

# auth_page: the browser consent page; oauth: POST /oauth/token; resource: bearer-token API;
# admin: /_sandbox/*, never faulted.
RouteKind = Literal["auth_page", "oauth", "resource", "admin"]


@dataclass(frozen=True)
class Call:
    request: Request
    state: SandboxState
    args: Mapping[str, str]

    def access(self) -> AccessToken:
        """The bearer token's record; the ``access_token`` query parameter is not accepted."""
        scheme, _, token = self.request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise InvalidToken()
        return self.state.oauth.access_token_owner(token.strip())

    def caller_id(self) -> int:
        """The seller the bearer token acts for."""
        return self.access().seller_id


Handler = Callable[[Call], Response]


Route = harness.Route[Handler, RouteKind]


def json_response(
    body: object, status: int = 200, headers: Mapping[str, str] | None = None
) -> Response:
    return Response(
        json.dumps(body, ensure_ascii=False),
        status=status,
        headers=dict(headers or {}),
        content_type="application/json; charset=utf-8",
    )


def error_response(error: SandboxError, *, shape_401: str = "classic") -> Response:
    headers: dict[str, str] = {}
    if isinstance(error, TooManyRequests) and error.retry_after is not None:
        headers["Retry-After"] = str(error.retry_after)
    body: dict[str, object] = error.body()
    if isinstance(error, InvalidToken) and shape_401 == "unauthorized":
        body = {"code": "unauthorized", "message": "invalid access token"}
    return json_response(body, error.status, headers)
