"""OAuth 2.0 as ML runs it (ml-api.md §1): authorization codes, PKCE, token grants, rotation.

Only the latest refresh token of a (client, seller) grant works, and only once; codes are
single use, expire after ``code_ttl`` and are bound to client, redirect URI, seller and PKCE
challenge. Token expiry uses the wall clock (``time.time()``) so admin actions can move it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from doubles.mercadolivre.errors import InvalidToken, OAuthError

SCOPE = "offline_access read write"
PKCE_METHODS = ("S256", "plain")


@dataclass(frozen=True)
class Application:
    client_id: str
    client_secret: str
    redirect_uris: tuple[str, ...]
    pkce_required: bool


@dataclass(frozen=True)
class AuthorizationCode:
    code: str
    client_id: str
    redirect_uri: str
    seller_id: int
    code_challenge: str | None
    code_challenge_method: str | None
    expires_at: float


@dataclass
class AccessToken:
    token: str
    client_id: str
    seller_id: int
    expires_at: float


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    seller_id: int
    expires_in: int

    def to_json(self) -> dict[str, object]:
        return {
            "access_token": self.access_token,
            "token_type": "bearer",
            "expires_in": self.expires_in,
            "scope": SCOPE,
            "user_id": self.seller_id,
            "refresh_token": self.refresh_token,
        }


def pkce_matches(*, verifier: str, challenge: str, method: str) -> bool:
    if method == "S256":
        digest = hashlib.sha256(verifier.encode("ascii", "replace")).digest()
        expected = base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")
    else:
        expected = verifier
    return hmac.compare_digest(expected, challenge)


class OAuthStore:
    """Codes and tokens of every application; all access under the sandbox's lock."""

    def __init__(
        self,
        *,
        lock: threading.RLock,
        applications: Mapping[str, Application],
        expires_in: int,
        code_ttl: int,
    ) -> None:
        self._lock = lock
        self.applications = dict(applications)
        self.expires_in = expires_in
        self.code_ttl = code_ttl
        self._codes: dict[str, AuthorizationCode] = {}
        self._access: dict[str, AccessToken] = {}
        # refresh token -> (client_id, seller_id); holds only each grant's latest token.
        self._refresh: dict[str, tuple[str, int]] = {}
        self._latest_refresh: dict[tuple[str, int], str] = {}

    def clear(self) -> None:
        with self._lock:
            self._codes.clear()
            self._access.clear()
            self._refresh.clear()
            self._latest_refresh.clear()

    def code_issue(
        self,
        *,
        client_id: str,
        redirect_uri: str,
        seller_id: int,
        code_challenge: str | None,
        code_challenge_method: str | None,
    ) -> str:
        code = f"TG-{secrets.token_hex(12)}-{seller_id}"
        with self._lock:
            self._codes[code] = AuthorizationCode(
                code=code,
                client_id=client_id,
                redirect_uri=redirect_uri,
                seller_id=seller_id,
                code_challenge=code_challenge,
                code_challenge_method=code_challenge_method,
                expires_at=time.time() + self.code_ttl,
            )
        return code

    def token_grant(self, form: Mapping[str, str]) -> TokenPair:
        """``POST /oauth/token`` for either grant; raises ``OAuthError`` as ML would answer."""
        grant_type = form.get("grant_type", "")
        if not grant_type:
            raise OAuthError.invalid_request("missing required parameter: grant_type")
        if grant_type not in ("authorization_code", "refresh_token"):
            raise OAuthError.unsupported_grant_type(grant_type)
        application = self._client_authenticated(form)
        if grant_type == "authorization_code":
            return self._code_exchange(application, form)
        return self._refresh_exchange(application, form)

    def _client_authenticated(self, form: Mapping[str, str]) -> Application:
        client_id, client_secret = form.get("client_id", ""), form.get("client_secret", "")
        if not client_id or not client_secret:
            raise OAuthError.invalid_request("missing required parameter: client_id/client_secret")
        application = self.applications.get(client_id)
        if application is None or not hmac.compare_digest(
            application.client_secret.encode(), client_secret.encode()
        ):
            raise OAuthError.invalid_client()
        return application

    def _code_exchange(self, application: Application, form: Mapping[str, str]) -> TokenPair:
        code, redirect_uri = form.get("code", ""), form.get("redirect_uri", "")
        verifier = form.get("code_verifier", "")
        missing = [
            name for name, value in (("code", code), ("redirect_uri", redirect_uri)) if not value
        ]
        if application.pkce_required and not verifier:
            missing.append("code_verifier")
        if missing:
            raise OAuthError.invalid_request(f"missing required parameter: {', '.join(missing)}")
        with self._lock:
            # Consumed by the first attempt, right or wrong, so a verifier cannot be guessed.
            grant = self._codes.pop(code, None)
            if (
                grant is None
                or grant.expires_at <= time.time()
                or grant.client_id != application.client_id
                or grant.redirect_uri != redirect_uri
            ):
                raise OAuthError.invalid_grant()
            if grant.code_challenge is not None and not (
                verifier
                and pkce_matches(
                    verifier=verifier,
                    challenge=grant.code_challenge,
                    method=grant.code_challenge_method or "plain",
                )
            ):
                raise OAuthError.invalid_grant()
            return self._pair_issue(application.client_id, grant.seller_id)

    def _refresh_exchange(self, application: Application, form: Mapping[str, str]) -> TokenPair:
        refresh_token = form.get("refresh_token", "")
        if not refresh_token:
            raise OAuthError.invalid_request("missing required parameter: refresh_token")
        with self._lock:
            owner = self._refresh.get(refresh_token)
            if owner is None or owner[0] != application.client_id:
                raise OAuthError.invalid_grant()
            del self._refresh[refresh_token]
            return self._pair_issue(*owner)

    def _pair_issue(self, client_id: str, seller_id: int) -> TokenPair:
        stamp = datetime.now(UTC).strftime("%m%d%H")
        access = f"APP_USR-{client_id}-{stamp}-{secrets.token_hex(16)}-{seller_id}"
        refresh = f"TG-{secrets.token_hex(12)}-{seller_id}"
        with self._lock:
            previous = self._latest_refresh.get((client_id, seller_id))
            if previous is not None:
                self._refresh.pop(previous, None)
            self._latest_refresh[(client_id, seller_id)] = refresh
            self._refresh[refresh] = (client_id, seller_id)
            self._access[access] = AccessToken(
                token=access,
                client_id=client_id,
                seller_id=seller_id,
                expires_at=time.time() + self.expires_in,
            )
        return TokenPair(
            access_token=access,
            refresh_token=refresh,
            seller_id=seller_id,
            expires_in=self.expires_in,
        )

    def access_token_owner(self, token: str) -> AccessToken:
        """The live access token ``token``; raises ``InvalidToken`` if unknown or expired."""
        with self._lock:
            access = self._access.get(token)
            if access is None or access.expires_at <= time.time():
                raise InvalidToken()
            return access

    def sellers_authorized(self, client_id: str) -> list[int]:
        """Sellers who hold a live grant of ``client_id`` (a refresh token), in id order."""
        with self._lock:
            return sorted(
                {seller for client, seller in self._refresh.values() if client == client_id}
            )

    def refresh_tokens_revoke(self, seller_ids: set[int] | None) -> int:
        """Kill the current refresh tokens (of ``seller_ids``, or all); returns how many."""
        with self._lock:
            doomed = [
                token
                for token, (_, seller_id) in self._refresh.items()
                if seller_ids is None or seller_id in seller_ids
            ]
            for token in doomed:
                del self._refresh[token]
            return len(doomed)

    def access_tokens_expire(self, seller_id: int | None) -> int:
        """Expire the live access tokens (of ``seller_id``, or all) now; returns how many."""
        now = time.time()
        with self._lock:
            live = [
                access
                for access in self._access.values()
                if access.expires_at > now and seller_id in (None, access.seller_id)
            ]
            for access in live:
                access.expires_at = now
            return len(live)
