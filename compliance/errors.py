"""What compliance services raise; ``message`` is written for the person handling the request."""

from __future__ import annotations

from core.errors import DomainError


class ComplianceError(DomainError):
    """A compliance request could not be handled; ``message`` is for the person handling it."""


class SubjectUnknown(ComplianceError):
    """No data about this subject in the store."""


class RequestInvalid(ComplianceError):
    """The request cannot be taken as given (missing identifier, wrong scope...)."""


class ExportLinkInvalid(ComplianceError):
    """A download link that is forged, for another store, or expired."""


class AttestationInvalid(ComplianceError):
    """An attestation for an item that takes none, without a statement or a named person."""


class RequestNotPermitted(ComplianceError):
    """The staff member may not change data-subject requests."""


class IdentityNotVerified(ComplianceError):
    """Export or erasure asked for while the requester is not yet shown to be the subject."""


class ExportWithdrawn(ExportLinkInvalid):
    """An export deleted because its subject's data was erased afterwards (answered 410)."""


class ErasureRefused(ComplianceError):
    """An erasure that would leave a store without its owner: closing the store is the way."""
