"""A store's ML access token: handed out while valid, refreshed once when it is not.

Refresh tokens are single use: two processes refreshing the same account at once would make
ML reject the loser's token and disconnect the seller. So a refresh happens under a row lock
on the account (``SELECT … FOR UPDATE`` in the store's schema), and whoever gets the lock
second finds the fresh token already stored and uses it. Everything here runs in the current
schema; callers enter the store's ``tenant_context`` first.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx
from django.conf import settings
from django.db import transaction

from core import crypto
from core.metrics import metric_count
from integrations.mercadolivre.clock import SYSTEM_CLOCK, Clock
from integrations.mercadolivre.errors import (
    MLBadRequest,
    MLNotConnected,
    MLRateLimited,
    MLReconnectRequired,
    MLUnavailable,
)
from integrations.mercadolivre.models import MLAccount, MLAccountStatus
from integrations.mercadolivre.notifications import reconnect_needed_notify
from integrations.mercadolivre.transport import http_client, ml_error_fields

logger = logging.getLogger(__name__)

# Refresh this long before ML's expiry, so a call never leaves with a token about to lapse.
REFRESH_MARGIN = timedelta(minutes=5)


@dataclass(frozen=True)
class TokenGrant:
    access_token: str
    refresh_token: str
    expires_in: int
    user_id: int
    scope: str


def grant_from_response(body: object) -> TokenGrant:
    """Validate ML's token response; anything missing or mistyped is ``MLBadRequest``."""
    if not isinstance(body, dict):
        raise MLBadRequest("the token endpoint did not answer a JSON object")
    access, refresh = body.get("access_token"), body.get("refresh_token")
    expires_in, user_id = body.get("expires_in"), body.get("user_id")
    if not (isinstance(access, str) and access and isinstance(refresh, str) and refresh):
        raise MLBadRequest("the token endpoint answered without access and refresh tokens")
    if not isinstance(expires_in, int) or expires_in <= 0 or isinstance(expires_in, bool):
        raise MLBadRequest("the token endpoint answered without a valid expires_in")
    if (
        isinstance(user_id, bool)
        or not isinstance(user_id, int | str)
        or not str(user_id).isdigit()
    ):
        raise MLBadRequest("the token endpoint answered without a valid user_id")
    return TokenGrant(
        access_token=access,
        refresh_token=refresh,
        expires_in=expires_in,
        user_id=int(user_id),
        scope=str(body.get("scope") or ""),
    )


def store_grant(*, account: MLAccount, grant: TokenGrant, now: datetime) -> None:
    account.access_token = crypto.encrypt(grant.access_token)
    account.refresh_token = crypto.encrypt(grant.refresh_token)
    account.access_expires_at = now + timedelta(seconds=grant.expires_in)
    account.refreshed_at = now
    account.scope = grant.scope or account.scope
    account.status = MLAccountStatus.ACTIVE
    account.needs_reconnection_since = None
    account.last_error = ""


def _now(clock: Clock) -> datetime:
    return datetime.fromtimestamp(clock.now(), tz=UTC)


def access_token_for(*, account: MLAccount, clock: Clock = SYSTEM_CLOCK) -> str:
    """A valid access token for ``account``, refreshing it first if it is about to expire."""
    if account.status != MLAccountStatus.ACTIVE or not account.access_token:
        _raise_unusable(account)
    if account.access_expires_at and account.access_expires_at > _now(clock) + REFRESH_MARGIN:
        return crypto.decrypt(account.access_token)
    return token_refresh(account_id=account.pk, rejected_token=None, clock=clock)


def token_refresh(
    *, account_id: int, rejected_token: str | None, clock: Clock = SYSTEM_CLOCK
) -> str:
    """Refresh the account's tokens unless another process already did; the new access token.

    ``rejected_token`` is the access token ML just answered 401 to: if the stored one differs,
    someone refreshed meanwhile and it is returned without calling ML.
    """
    outcome: Exception | None = None
    with transaction.atomic():
        account = MLAccount.objects.select_for_update().get(pk=account_id)
        if account.status != MLAccountStatus.ACTIVE or not account.refresh_token:
            _raise_unusable(account)
        current = crypto.decrypt(account.access_token)
        fresh = bool(
            account.access_expires_at and account.access_expires_at > _now(clock) + REFRESH_MARGIN
        )
        if (rejected_token is None and fresh) or (
            rejected_token is not None and current != rejected_token
        ):
            return current
        try:
            grant = _request_refresh(crypto.decrypt(account.refresh_token))
        except MLReconnectRequired as exc:
            account.status = MLAccountStatus.NEEDS_RECONNECTION
            account.needs_reconnection_since = _now(clock)
            account.last_error = exc.message[:300]
            account.save(
                update_fields=["status", "needs_reconnection_since", "last_error", "updated_at"]
            )
            _on_reconnect_required(account)
            metric_count("ml_token_refresh", {"outcome": "invalid_grant"})
            outcome = exc
        except (MLUnavailable, MLRateLimited, MLBadRequest):
            metric_count("ml_token_refresh", {"outcome": "failure"})
            raise
        else:
            store_grant(account=account, grant=grant, now=_now(clock))
            account.save()
            metric_count("ml_token_refresh", {"outcome": "success"})
            logger.info("refreshed ML tokens of %s", account.ml_user_id)
            return grant.access_token
    assert outcome is not None
    raise outcome


def _request_refresh(refresh_token: str) -> TokenGrant:
    try:
        response = http_client().post(
            f"{settings.ML_API_BASE.rstrip('/')}/oauth/token",
            data={
                "grant_type": "refresh_token",
                "client_id": settings.ML_CLIENT_ID,
                "client_secret": settings.ML_CLIENT_SECRET,
                "refresh_token": refresh_token,
            },
            headers={"Accept": "application/json"},
        )
    except httpx.HTTPError as exc:
        raise MLUnavailable(
            f"the token endpoint could not be reached: {type(exc).__name__}"
        ) from exc
    error, message = ml_error_fields(response)
    if response.status_code == 200:
        try:
            return grant_from_response(response.json())
        except ValueError as exc:
            raise MLBadRequest("the token endpoint answered malformed JSON") from exc
    if error in {"invalid_grant", "unauthorized_client"}:
        raise MLReconnectRequired(
            message or "Mercado Livre no longer accepts this store's authorization",
            status=response.status_code,
            error=error,
        )
    if response.status_code == 429:
        raise MLRateLimited("the token endpoint is rate limiting", status=429, error=error)
    if response.status_code >= 500:
        raise MLUnavailable(
            f"the token endpoint answered {response.status_code}", status=response.status_code
        )
    raise MLBadRequest(
        f"the token endpoint refused the refresh: {error or response.status_code}",
        status=response.status_code,
        error=error,
    )


def _raise_unusable(account: MLAccount) -> None:
    if account.status == MLAccountStatus.NEEDS_RECONNECTION:
        raise MLReconnectRequired(
            "Mercado Livre asks the seller to connect this account again", error="invalid_grant"
        )
    raise MLNotConnected("this store's Mercado Livre account is not connected")


def _on_reconnect_required(account: MLAccount) -> None:
    """Mirror the state in the public index and tell the store's owners, after commit."""

    reconnect_needed_notify(account=account)
