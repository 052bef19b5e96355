"""A store's ML access token: handed out while valid, refreshed ahead of expiry, never lost.

Refresh tokens are single use, and ML spends one the moment it receives the request. So:

- One refresher at a time per account: a PostgreSQL advisory lock (session level, so no
  transaction stays open across the HTTP call, and a process that dies releases it). Whoever
  waits finds the fresh token already stored and uses it.
- A marker (``refresh_started_at``) is committed before the request leaves and cleared with the
  answer. The new pair is committed by itself the instant it arrives, outside whatever
  transaction the caller is in (``committed_alone``), and so are reconnect markings: a service
  that rolls back never takes the pair with it.
- A marker still set when the next refresh starts means the last one was interrupted after its
  request may have reached ML; if ML then answers ``invalid_grant``, the account is marked with
  that cause and ``signals.refresh_interrupted`` opens an incident: not "the seller revoked us".
- ``integrations.ml_tokens_due`` (beat, every minute) refreshes each account
  ``REFRESH_AHEAD`` before expiry; request paths refresh only inside ``REFRESH_MARGIN``, when
  that job has not.

Everything here runs in the current schema; callers enter the store's ``tenant_context`` first.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx
from django.conf import settings

from core import crypto
from core.db.alone import committed_alone
from core.db.locks import advisory_lock
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
from integrations.mercadolivre.notifications import reconnect_required_mark
from integrations.mercadolivre.signals import refresh_interrupted
from integrations.mercadolivre.transport import http_client, ml_error_fields
from integrations.models import MLConnection, MLConnectionStatus
from tenants.context import current_schema

logger = logging.getLogger(__name__)

# The scheduled job refreshes this long before ML's expiry (ML's tokens last 6 hours).
REFRESH_AHEAD = timedelta(minutes=30)
# A call refreshes by itself only this close to expiry: the job has not run (worker down).
REFRESH_MARGIN = timedelta(minutes=2)
# How long a caller waits for another process's refresh of the same account: longer than the
# token request's own timeouts (transport.TIMEOUT), so a live refresher is never overtaken.
REFRESH_LOCK_WAIT_SECONDS = 20.0


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
    """Set ``account``'s fields from ``grant`` (the caller saves it; connect does, in its
    transaction)."""
    account.access_token = crypto.encrypt(grant.access_token)
    account.refresh_token = crypto.encrypt(grant.refresh_token)
    account.access_expires_at = now + timedelta(seconds=grant.expires_in)
    account.refreshed_at = now
    account.scope = grant.scope or account.scope
    account.status = MLAccountStatus.ACTIVE
    account.needs_reconnection_since = None
    account.refresh_started_at = None
    account.last_error = ""


def _now(clock: Clock) -> datetime:
    return datetime.fromtimestamp(clock.now(), tz=UTC)


def _fresh(account: MLAccount, *, margin: timedelta, clock: Clock) -> bool:
    expires = account.access_expires_at
    return bool(expires and expires > _now(clock) + margin)


def access_token_for(*, account: MLAccount, clock: Clock = SYSTEM_CLOCK) -> str:
    """A valid access token for ``account``, refreshing it first if it is about to expire."""
    if account.status != MLAccountStatus.ACTIVE or not account.access_token:
        _raise_unusable(account)
    if _fresh(account, margin=REFRESH_MARGIN, clock=clock):
        return crypto.decrypt(account.access_token)
    return token_refresh(account_id=account.pk, rejected_token=None, clock=clock)


def token_refresh(
    *,
    account_id: int,
    rejected_token: str | None,
    clock: Clock = SYSTEM_CLOCK,
    margin: timedelta = REFRESH_MARGIN,
) -> str:
    """Refresh the account's tokens unless another process already did; the new access token.

    ``rejected_token`` is the access token ML just answered 401 to: if the stored one differs,
    someone refreshed meanwhile and it is returned without calling ML. Otherwise the stored
    token is refreshed when it expires within ``margin``.
    """
    return committed_alone(lambda: _refresh(account_id, rejected_token, clock, margin))


def token_refresh_ahead(*, account_id: int, clock: Clock = SYSTEM_CLOCK) -> str:
    """The scheduled refresh of one account: ``refreshed``, ``not_due`` or ``inactive``.

    Also mirrors the stored expiry into the public index, which the schedule reads.
    """
    account = MLAccount.objects.filter(pk=account_id).first()
    if account is None or account.status != MLAccountStatus.ACTIVE or not account.refresh_token:
        if account is not None and account.status == MLAccountStatus.NEEDS_RECONNECTION:
            # The index missed the marking (a process died between them): the schedule stops.
            MLConnection.objects.filter(
                ml_user_id=account.ml_user_id, status=MLConnectionStatus.ACTIVE
            ).update(status=MLConnectionStatus.NEEDS_RECONNECTION)
        return "inactive"
    if _fresh(account, margin=REFRESH_AHEAD, clock=clock):
        _index_expiry(account.ml_user_id, account.access_expires_at)
        return "not_due"
    token_refresh(account_id=account_id, rejected_token=None, clock=clock, margin=REFRESH_AHEAD)
    return "refreshed"


def _refresh(account_id: int, rejected_token: str | None, clock: Clock, margin: timedelta) -> str:
    with _refresh_lock(account_id):
        account = MLAccount.objects.get(pk=account_id)
        if account.status != MLAccountStatus.ACTIVE or not account.refresh_token:
            _raise_unusable(account)
        current = crypto.decrypt(account.access_token)
        if rejected_token is None and _fresh(account, margin=margin, clock=clock):
            return current
        if rejected_token is not None and current != rejected_token:
            return current
        # Set now means the last refresher died (or lost its connection) after sending.
        interrupted_at = account.refresh_started_at
        MLAccount.objects.filter(pk=account_id).update(refresh_started_at=_now(clock))
        sent = account.refresh_token  # the stored chain this refresh continues
        try:
            grant = _request_refresh(crypto.decrypt(sent))
        except MLReconnectRequired as exc:
            _reconnect_required(account, exc, interrupted_at=interrupted_at, clock=clock)
            metric_count("ml_token_refresh", {"outcome": "invalid_grant"})
            raise
        except (MLUnavailable, MLRateLimited, MLBadRequest) as exc:
            if not _may_have_arrived(exc):
                MLAccount.objects.filter(pk=account_id).update(refresh_started_at=None)
            metric_count("ml_token_refresh", {"outcome": "failure"})
            raise
        expires_at = _grant_save(account, grant, sent=sent, now=_now(clock))
        if expires_at is None:
            # Disconnected or connected again while ML answered: what is stored now stands.
            account.refresh_from_db()
            if account.status != MLAccountStatus.ACTIVE or not account.access_token:
                _raise_unusable(account)
            return crypto.decrypt(account.access_token)
        metric_count("ml_token_refresh", {"outcome": "success"})
        logger.info("refreshed ML tokens of %s", account.ml_user_id)
        _index_expiry(account.ml_user_id, expires_at)
        return grant.access_token


def _grant_save(
    account: MLAccount, grant: TokenGrant, *, sent: str, now: datetime
) -> datetime | None:
    """Store the new pair in one statement (committed with it, in autocommit); its expiry, or
    None when the account no longer holds the chain ``sent`` continued (disconnected, or
    connected again with a pair of its own, while ML answered). An account paused meanwhile
    keeps the pair (ML spent the old one) and stays paused."""
    status = account.status
    store_grant(account=account, grant=grant, now=now)
    account.status = status
    assert account.access_expires_at is not None
    stored = MLAccount.objects.filter(
        pk=account.pk,
        status__in=(MLAccountStatus.ACTIVE, MLAccountStatus.PAUSED),
        refresh_token=sent,
    ).update(
        access_token=account.access_token,
        refresh_token=account.refresh_token,
        access_expires_at=account.access_expires_at,
        refreshed_at=now,
        scope=account.scope,
        needs_reconnection_since=None,
        refresh_started_at=None,
        last_error="",
        updated_at=now,
    )
    return account.access_expires_at if stored else None


def _index_expiry(ml_user_id: int, expires_at: datetime | None) -> None:
    MLConnection.objects.filter(ml_user_id=ml_user_id).exclude(token_expires_at=expires_at).update(
        token_expires_at=expires_at
    )


def _may_have_arrived(exc: Exception) -> bool:
    """Whether ML may have received (and so spent the token of) a refresh that failed so.

    Only a request never sent, or a refusal ML answered (429, a 4xx), is known to have spent
    nothing; a 5xx or a garbled 200 may come from behind the rotation."""
    if isinstance(exc, MLUnavailable) and exc.error == "not_sent":
        return False
    if isinstance(exc, MLRateLimited | MLBadRequest) and exc.status is not None:
        return not 400 <= exc.status < 500
    return True


@contextlib.contextmanager
def _refresh_lock(account_id: int) -> Iterator[None]:
    """Hold the account's refresh lock, or raise ``MLUnavailable`` after waiting too long."""
    name = f"ml-token-refresh:{current_schema()}:{account_id}"
    with advisory_lock(name, wait_seconds=REFRESH_LOCK_WAIT_SECONDS) as held:
        if not held:
            raise MLUnavailable(
                "another process has been refreshing this account's token for "
                f"{REFRESH_LOCK_WAIT_SECONDS:.0f}s"
            )
        yield


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
    except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
        raise MLUnavailable(
            f"the token endpoint could not be reached: {type(exc).__name__}", error="not_sent"
        ) from exc
    except httpx.HTTPError as exc:
        # Sent, perhaps received: the marker stays, so a later invalid_grant says so.
        raise MLUnavailable(f"the token endpoint did not answer: {type(exc).__name__}") from exc
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


def _reconnect_required(
    account: MLAccount,
    exc: MLReconnectRequired,
    *,
    interrupted_at: datetime | None,
    clock: Clock,
) -> None:
    """Mark the account, tell the owners (after commit) and, after an interrupted refresh,
    the on-call engineer."""
    reason = exc.message
    if interrupted_at is not None:
        reason = (
            f"A token refresh started {interrupted_at:%Y-%m-%d %H:%M:%S} UTC was interrupted "
            f"before its answer was stored; Mercado Livre then refused the token: {exc.message}"
        )
    # Only the chain ML refused is marked: an account connected again meanwhile holds a new one.
    if not reconnect_required_mark(
        account=account, reason=reason, now=_now(clock), chain=account.refresh_token
    ):
        return
    if interrupted_at is not None:
        logger.error("ML account %s lost to an interrupted refresh: %s", account.ml_user_id, reason)
        refresh_interrupted.send(
            sender=MLAccount,
            schema=current_schema(),
            ml_user_id=account.ml_user_id,
            started_at=interrupted_at,
            message=exc.message,
        )
