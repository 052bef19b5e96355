"""What the notices services raise; ``message`` is safe to show staff."""

from __future__ import annotations

from core.errors import DomainError


class NoticeError(DomainError):
    """A notice operation could not be done; ``message`` is safe to show staff."""


class NoticePublished(NoticeError):
    """A published notice was asked to change or go away; publish a new version instead."""


class PurposeUnknown(NoticeError):
    """No active purpose has this code."""
