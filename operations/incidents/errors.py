"""What the incident and notification services refuse, as types."""

from core.errors import DomainError


class IncidentError(DomainError):
    """Base of the incident errors."""


class IncidentAlreadyResolved(IncidentError):
    """The incident is resolved; it cannot be acknowledged or resolved again."""


class ChannelNotConfigured(IncidentError):
    """The notification's channel is no longer in NOTIFY_URLS."""


class DeliveryFailed(IncidentError):
    """A channel refused or could not be reached; the task retries with backoff."""
