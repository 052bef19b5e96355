"""Mercado Livre as a social-core OAuth 2.0 + PKCE backend (upstream has none).

social-core builds the authorization URL (with the S256 code challenge), posts the code
exchange and reads ML's errors. Two things differ from a login flow, so they are overridden:
the state and the PKCE verifier live in an ``MLAuthorization`` row (the flow starts on a
store's host and ends on the public host, so no browser session spans it), and completing the
flow returns the tokens and the ML user instead of logging anyone in.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from social_core.backends.oauth import BaseOAuth2PKCE
from social_core.strategy import BaseStrategy


class ConnectStrategy(BaseStrategy[dict[str, Any]]):
    """Just enough of a strategy for one connect attempt: its state, verifier and callback data."""

    def __init__(
        self, *, state: str, code_verifier: str, callback_data: dict[str, Any] | None = None
    ) -> None:
        super().__init__(storage=None)
        self.state = state
        self.code_verifier = code_verifier
        self.callback_data = callback_data or {}

    def get_setting(self, name: str) -> Any:
        return getattr(settings, name)

    def get_request_data(self, merge: bool = True) -> dict[str, Any]:
        return self.callback_data

    def request_host(self) -> str:
        return settings.PEEPERS_BASE_DOMAIN  # type: ignore[no-any-return]

    def build_absolute_uri(self, path: str | None = None) -> str:
        return settings.ML_REDIRECT_URI  # type: ignore[no-any-return]

    def session_get(self, name: str, default: Any = None) -> Any:
        return default

    def session_set(self, name: str, value: Any) -> None:
        """Nothing is kept in a session: the attempt row holds what the flow needs."""

    def session_pop(self, name: str) -> None:
        return None

    def redirect(self, url: str) -> dict[str, Any]:
        return {"redirect": url}

    def html(self, content: str) -> dict[str, Any]:
        return {"html": content}


class MercadoLivreOAuth2(BaseOAuth2PKCE[dict[str, Any]]):
    name = "mercadolivre"
    ACCESS_TOKEN_METHOD = "POST"  # noqa: S105 - an HTTP method, not a secret
    # The redirect URI must match the registered one exactly, so nothing rides on it.
    REDIRECT_STATE = False
    STATE_PARAMETER = True
    SEND_USER_AGENT = True
    strategy: ConnectStrategy

    def authorization_url(self) -> str:
        return f"{settings.ML_AUTH_BASE.rstrip('/')}/authorization"

    def access_token_url(self) -> str:
        return f"{settings.ML_API_BASE.rstrip('/')}/oauth/token"

    def get_redirect_uri(self, state: str | None = None) -> str:
        return settings.ML_REDIRECT_URI  # type: ignore[no-any-return]

    def get_key_and_secret(self) -> tuple[str, str]:
        return settings.ML_CLIENT_ID, settings.ML_CLIENT_SECRET

    def get_scope(self) -> list[str]:
        return []  # scopes are set on the ML application, not per request

    # State and verifier come from the attempt row (see the module docstring).
    def get_or_create_state(self) -> str:
        return self.strategy.state

    def validate_state(self) -> str:
        # The caller verified the signed state and claimed the attempt before completing.
        return self.strategy.state

    def create_code_verifier(self, state: str | None = None) -> str:
        return self.strategy.code_verifier

    def get_code_verifier(self, state: str | None = None) -> str:
        return self.strategy.code_verifier

    def user_data(self, access_token: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
        return self.get_json(
            f"{settings.ML_API_BASE.rstrip('/')}/users/me",
            headers={"Authorization": f"Bearer {access_token}", "Accept": "application/json"},
        )

    def do_auth(self, access_token: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
        """The token response and ``/users/me``, rather than a logged-in user."""
        return {"token": dict(kwargs.get("response") or {}), "user": self.user_data(access_token)}
