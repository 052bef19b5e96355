"""``Authorization: Bearer <token>`` (or ``Token <token>``) for the store API."""

from __future__ import annotations

from rest_framework import authentication, exceptions
from rest_framework.request import Request

from api.models import ApiToken
from api.tokens import api_token_check, api_token_touch
from users.models import User

SCHEMES = (b"bearer", b"token")


class BearerTokenAuthentication(authentication.BaseAuthentication):
    """A per-user API token from Settings → API tokens; revoked or expired tokens are 401."""

    keyword = "Bearer"

    def authenticate(self, request: Request) -> tuple[User, ApiToken] | None:
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() not in SCHEMES:
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(
                "The Authorization header must be 'Bearer <token>'.", code="token_malformed"
            )
        try:
            raw = header[1].decode()
        except UnicodeDecodeError as exc:
            raise exceptions.AuthenticationFailed(
                "The token has characters no token has.", code="token_malformed"
            ) from exc
        tenant = getattr(request, "tenant", None)
        if tenant is None or tenant.is_public:
            raise exceptions.AuthenticationFailed("Tokens work on a store's host only.")
        token = api_token_check(raw)
        if token is None:
            raise exceptions.AuthenticationFailed(
                "The token is unknown, revoked or expired.", code="token_invalid"
            )
        api_token_touch(token=token)
        return token.user, token

    def authenticate_header(self, request: Request) -> str:
        return f'{self.keyword} realm="api"'
