"""What retention services raise; ``message`` is written for the staff member reading it."""

from __future__ import annotations

from core.errors import DomainError


class RetentionError(DomainError):
    """A retention operation could not be done; ``message`` is for the staff member."""


class CategoryNotEnforceable(RetentionError):
    """The category has a policy but the code cannot enforce it here and now (say why)."""


class StoreNotClosed(RetentionError):
    """Offboarding was asked for a store that is not closed (or is the public tenant)."""


class StoreUnknown(RetentionError):
    """No store with that schema name."""


class OffboardingLinkInvalid(RetentionError):
    """A final-export link that is forged, expired, or whose file is gone."""
