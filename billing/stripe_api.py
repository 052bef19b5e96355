"""The one door to Stripe: a configured ``StripeClient`` and calls that return plain dicts.

``STRIPE_API_BASE`` points the SDK at Stripe or at the local emulator; nothing else in the app
knows which. Every write passes an explicit idempotency key built from our own ids, so a job or
a user retrying an operation cannot create a second object. SDK errors become ``StripeUnavailable``
(retry later) or ``StripeRejected`` (don't), with a message for the seller translated when
raised (Stripe's own ``user_message``, when it sends one, is passed on as it is).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import stripe
from django.conf import settings
from django.utils.translation import gettext as _

from billing.errors import StripeRejected, StripeUnavailable

logger = logging.getLogger(__name__)

JSON = dict[str, Any]


@functools.cache
def _client(api_key: str, api_base: str, timeout: float, retries: int) -> stripe.StripeClient:
    return stripe.StripeClient(
        api_key,
        base_addresses={"api": api_base},
        max_network_retries=retries,
        http_client=stripe.RequestsClient(timeout=timeout),
    )


def stripe_client() -> stripe.StripeClient:
    """The client for the current settings (cached per settings, so tests can override them)."""
    return _client(
        settings.STRIPE_SECRET_KEY,
        settings.STRIPE_API_BASE,
        settings.STRIPE_TIMEOUT_SECONDS,
        settings.STRIPE_MAX_NETWORK_RETRIES,
    )


def stripe_call(call: Callable[[stripe.StripeClient], Any], *, what: str) -> JSON:
    """Run one SDK call; the response as a plain dict. ``what`` names it in errors and logs."""
    try:
        result = call(stripe_client())
    except (stripe.APIConnectionError, stripe.RateLimitError, stripe.APIError) as exc:
        logger.warning("stripe unavailable during %s: %s", what, exc)
        raise StripeUnavailable(
            _(
                "Stripe is not answering right now. Nothing was charged; please try again in a "
                "minute."
            )
        ) from exc
    except stripe.AuthenticationError as exc:
        logger.error("stripe rejected our API key during %s", what)
        raise StripeUnavailable(
            _(
                "Billing is misconfigured on our side (Stripe refused the API key); our team has "
                "been alerted. Nothing was charged."
            )
        ) from exc
    except stripe.StripeError as exc:
        message = exc.user_message or str(exc) or _("Stripe refused the request.")
        logger.info("stripe refused %s: %s", what, message)
        raise StripeRejected(message) from exc
    if result is None:
        return {}
    return dict(result.to_dict())


def idempotency(*parts: object) -> dict[str, str]:
    """Request options carrying ``peepers:<parts>`` as the idempotency key."""
    return {"idempotency_key": ":".join(["peepers", *(str(p) for p in parts)])[:255]}


def obj_id(value: object) -> str:
    """The id of a field that may be an id or an expanded object."""
    if isinstance(value, dict):
        return str(value.get("id") or "")
    return str(value or "")


LATEST_MOMENT = 253402300799  # 9999-12-31T23:59:59Z, the last second a datetime holds


def moment(value: object) -> datetime | None:
    """A Stripe timestamp as a datetime; None for anything that is not a moment (NaN, ±inf, a
    year past 9999 included)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return datetime.fromtimestamp(value, tz=UTC) if 0 < value <= LATEST_MOMENT else None
