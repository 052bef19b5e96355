"""What the notices services raise; ``message`` is safe to show staff."""

from __future__ import annotations


class NoticeError(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NoticePublished(NoticeError):
    """A published notice was asked to change or go away; publish a new version instead."""


class PurposeUnknown(NoticeError):
    """No active purpose has this code."""
