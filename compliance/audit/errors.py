"""What the audit log raises; callers let these propagate (an action without its trail fails)."""

from __future__ import annotations

from core.errors import DomainError


class AuditError(DomainError):
    """An audit operation could not be done; ``message`` is safe to show staff."""


class AuditEventImmutable(AuditError):
    """An audit event was asked to change or go away; the log is append-only."""


class AuditRetentionTooShort(AuditError):
    """A purge asked to delete events younger than the legal minimum retention."""
