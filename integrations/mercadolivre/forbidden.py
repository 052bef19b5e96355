"""ML's 403s told apart by their body, and what each one asks of us (ML's "Error 403" page).

ML answers 403 for the token (scopes, not the data owner's), for the seller's account
(inactive, suspended, data validation pending) and for our application (blocked, caller IP not
on its list); a resource of someone else is only that. Only the first two bodies are documented
(``Invalid scopes``, ``access_denied``); the others are recognised by the words of their
``error``/``message``. A 403 never means the data is gone."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from django.dispatch import Signal

from core.db.alone import committed_alone
from core.metrics import metric_count
from integrations.mercadolivre.errors import (
    MLAccessRevoked,
    MLApplicationBlocked,
    MLForbidden,
    MLSellerRestricted,
)
from integrations.mercadolivre.models import MLAccount, MLAccountStatus
from integrations.mercadolivre.notifications import reconnect_required_mark

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Cause:
    name: str
    pattern: re.Pattern[str]
    kind: type[MLForbidden]
    explanation: str


# First match wins; matched against "error code message", lower-cased.
CAUSES = (
    _Cause(
        "invalid_scopes",
        re.compile(r"invalid[ _]scopes?|unauthorized[ _]scopes|insufficient[ _]scope"),
        MLAccessRevoked,
        "the authorization lacks the scopes this call needs",
    ),
    # Not the data owner's token: a resource of someone else, or a token of another user. The
    # client tells them apart with ``/users/me`` (``owner_checked``); only the second needs a
    # reconnect.
    _Cause(
        "not_owner",
        re.compile(r"access_denied|access to the requested resource is forbidden"),
        MLForbidden,
        "the resource is not this seller's",
    ),
    _Cause(
        "application_blocked",
        re.compile(r"unauthorized_application|application.{0,40}(blocked|disabled)"),
        MLApplicationBlocked,
        "Peepers' application is blocked or disabled on Mercado Livre",
    ),
    _Cause(
        "ip_not_allowed",
        re.compile(r"\bip\b|ip address|caller[ _.]ip"),
        MLApplicationBlocked,
        "the caller IP is not on the application's allowed list",
    ),
    _Cause(
        "seller_inactive",
        re.compile(r"inactive|not active|suspended|disabled user|user.{0,20}blocked"),
        MLSellerRestricted,
        "the seller's Mercado Livre account is inactive or suspended",
    ),
    _Cause(
        "pending_validation",
        re.compile(r"validat"),
        MLSellerRestricted,
        "the seller has not finished Mercado Livre's data validation",
    ),
)

INCIDENT_KEY = "ml-application-forbidden"
# ML refuses Peepers' application itself (every store is affected): operations opens a P1
# incident keyed ``INCIDENT_KEY:<cause>`` (operations/incidents/receivers.py).
# Arguments: cause, path, message.
application_refused = Signal()


def forbidden_error(*, body: object, path: str) -> MLForbidden:
    """The typed error for a 403 answer ``body`` (its ``cause`` names which one)."""
    fields = body if isinstance(body, dict) else {}
    error = str(fields.get("error") or "")
    text = " ".join(str(fields.get(key) or "") for key in ("error", "code", "message")).lower()
    message = str(fields.get("message") or fields.get("error") or "forbidden")
    for cause in CAUSES:
        if cause.pattern.search(text):
            exc = cause.kind(
                f"403 {cause.name}: {cause.explanation} ({message})",
                status=403,
                error=error,
                path=path,
            )
            exc.cause = cause.name
            return exc
    return MLForbidden(f"403 forbidden: {message}", status=403, error=error, path=path)


def owner_mismatch(
    *, error: MLForbidden, account_user_id: int, token_user_id: object
) -> MLForbidden:
    """``error`` (a ``not_owner`` 403) as what it is once ``/users/me`` named the token's user."""
    if str(token_user_id) == str(account_user_id):
        return error
    revoked = MLAccessRevoked(
        f"403 not_owner: the token does not act for Mercado Livre user {account_user_id} "
        f"(it acts for {token_user_id or 'no user'})",
        status=403,
        error=error.error,
        path=error.path,
    )
    revoked.cause = "not_owner"
    return revoked


def forbidden_record(*, account: MLAccount | None, error: MLForbidden) -> None:
    """Act on a classified 403: reconnect, the store's attention, or an incident."""
    metric_count("ml_forbidden", {"cause": error.cause})
    if isinstance(error, MLApplicationBlocked):
        _incident_open(error)
    if account is None:
        return
    # Markings outlive the caller's transaction: a service that rolls back keeps them.
    if isinstance(error, MLAccessRevoked):
        committed_alone(lambda: _reconnect_required(account, error))
    elif isinstance(error, MLSellerRestricted):
        # Kept on the account (the settings page shows it) until a call succeeds again.
        reason = error.message[:300]
        if account.last_error != reason:
            account.last_error = reason
            committed_alone(
                lambda: MLAccount.objects.filter(pk=account.pk).update(last_error=reason)
            )


def forbidden_clear(*, account: MLAccount) -> None:
    """A call went through: a restriction noted earlier is over."""
    if account.status == MLAccountStatus.ACTIVE and account.last_error.startswith("403 "):
        MLAccount.objects.filter(
            pk=account.pk, status=MLAccountStatus.ACTIVE, last_error=account.last_error
        ).update(last_error="")
        account.last_error = ""


def _reconnect_required(account: MLAccount, error: MLForbidden) -> None:
    if reconnect_required_mark(account=account, reason=error.message):
        logger.warning("ML account %s needs reconnection: %s", account.ml_user_id, error.message)


def _incident_open(error: MLForbidden) -> None:
    application_refused.send(
        sender=MLForbidden, cause=error.cause, path=error.path, message=error.message
    )
