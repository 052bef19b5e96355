"""Errors raised by tenant services; views, forms and commands map them to answers once."""

from __future__ import annotations

from core.errors import DomainError


class TenantError(DomainError):
    """Base class. ``field`` names the input at fault, when there is one."""


class TenantInvalid(TenantError):
    """One or more inputs are invalid; ``errors`` maps each field to its messages."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        self.errors = errors
        summary = "; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in errors.items())
        super().__init__(summary)


class TenantSlugTaken(TenantError):
    field = "slug"


class TenantEmailTaken(TenantError):
    field = "email"


class MLUserIdTaken(TenantError):
    """The Mercado Livre account already belongs to another tenant."""

    field = "ml_user_id"


class TenantPlanConflict(TenantError):
    """Asked again for an existing store with a plan other than the one it is on."""

    field = "plan"


class ProvisioningFailed(TenantError):
    """The schema could not be created; nothing of the tenant was kept."""


class HandoffTokenInvalid(TenantError):
    """A signup hand-off link that is tampered with, expired, already used or another store's."""


class HandoffUserUnavailable(HandoffTokenInvalid):
    """A valid hand-off link whose user no longer exists or is inactive."""
