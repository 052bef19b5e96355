"""Typed errors of the Mercado Livre integration; views, tasks and commands map them once."""

from __future__ import annotations

from core.errors import DomainError


class MLError(DomainError):
    """Base class. ``status``/``error`` echo ML's answer when there was one; ``retry_after``
    (seconds) is set when ML or the breaker said how long to wait."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        error: str = "",
        path: str = "",
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message, retry_after=retry_after)
        self.status = status
        self.error = error
        self.path = path


# -- API calls ---------------------------------------------------------------------------------
class MLBadRequest(MLError):
    """400: ML rejected the request as malformed; retrying the same call will not help."""


class MLUnauthorized(MLError):
    """401 that a token refresh did not cure."""


class MLForbidden(MLError):
    """403 for this call only: another seller's resource (``cause="not_owner"``) or a cause the
    body does not name. Subclasses are the causes that reach beyond the call (``forbidden.py``).

    The data stays as stored: a 403 is a refusal to show, not a sign the resource is gone.
    """

    cause = "unknown"


class MLSellerRestricted(MLForbidden):
    """403 because of the seller's ML account (inactive, suspended, data validation pending):
    only the seller can fix it on Mercado Livre; the store shows it."""


class MLApplicationBlocked(MLForbidden):
    """403 because of Peepers' application (blocked or disabled, caller IP not on its list):
    every store is affected; an incident is opened for the on-call engineer."""


class MLNotFound(MLError):
    """404."""


class MLRateLimited(MLError):
    """429 from ML after every retry, or our own budget exhausted for longer than allowed;
    ``retry_after`` is ML's ``Retry-After`` (or our budget's wait) when known."""


class MLServerError(MLError):
    """5xx from ML after every retry."""


class MLUnavailable(MLError):
    """ML could not be reached (timeouts, connection errors, a proxy's HTML error page)."""


class MLCircuitOpen(MLUnavailable):
    """Calls are held back: ML failed repeatedly and the breaker has not let a probe through.

    ``retry_after``: seconds until the breaker lets a probe out, or, while another caller's
    probe is out, until its answer is likely known (``breaker.PROBE_RETRY_SECONDS`` at most).
    """


class MLMalformedResponse(MLError):
    """ML answered 2xx with a body that is not the JSON it should be."""


# -- accounts and tokens -----------------------------------------------------------------------
class MLNotConnected(MLError):
    """The store has no usable Mercado Livre account."""


class MLReconnectRequired(MLError):
    """ML refused the refresh token (``invalid_grant``): the seller must connect again."""


class MLAccessRevoked(MLForbidden, MLReconnectRequired):
    """403 for the token itself (invalid scopes, not the data owner): the seller must connect
    again. The account is marked *needs reconnection*, like a refused refresh token."""


# The store's account cannot be used until the seller connects again: work failing with one of
# these (or a subclass) waits for the reconnection, which resumes it (``reconnect``).
DISCONNECTION_ERRORS: tuple[type[MLError], ...] = (MLReconnectRequired, MLNotConnected)


class MLDisconnectNotAllowed(MLError):
    """The acting user may not disconnect the store's Mercado Livre account."""


# -- the connect flow --------------------------------------------------------------------------
class MLConnectError(MLError):
    """The connect flow failed; ``message`` is written for the seller. ``store_schema`` names
    the store the attempt was for, once the attempt is known (the error page links back)."""

    store_schema = ""


class MLStateInvalid(MLConnectError):
    """The ``state`` is missing, tampered with, expired or already used."""


class MLAuthorizationDenied(MLConnectError):
    """The seller declined on Mercado Livre's consent page."""


class MLPlanLimitReached(MLConnectError):
    """The store's plan (or its subscription state) does not allow this connection."""


class MLAccountBoundElsewhere(MLConnectError):
    """This Mercado Livre user is connected to another store."""
