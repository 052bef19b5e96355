"""What billing's services raise; the edges (views, admin, commands) turn them into messages."""

from __future__ import annotations

from core.errors import DomainError


class BillingError(DomainError):
    """A billing operation could not be done; ``message`` is safe to show the user."""


class StripeUnavailable(BillingError):
    """Stripe did not answer (down, slow, rate limited); the same request may be retried."""


class StripeRejected(BillingError):
    """Stripe refused the request (bad parameters, declined, not allowed); retrying won't help."""


class CheckoutNotAllowed(BillingError):
    """The store cannot start a checkout now (e.g. it already has a live subscription)."""


class PlanChangeNotAllowed(BillingError):
    """The plan cannot change now (no live subscription, same plan, unknown plan)."""


class RefundNotAllowed(BillingError):
    """The refund asked for cannot be made (amount, payment method, invoice state)."""


class SignatureInvalid(BillingError):
    """A webhook's ``Stripe-Signature`` is missing, malformed, wrong or outside the tolerance."""


class PayloadInvalid(BillingError):
    """A webhook's body is not a Stripe event we can store."""
