"""Errors of scheduled maintenance; commands map them to exit code 1, tasks to a failed run."""

from __future__ import annotations

from typing import Any

from core.errors import DomainError


class MaintenanceError(DomainError):
    """Base of the maintenance errors."""


class UnknownJob(MaintenanceError):
    """No job of that name in ``operations.maintenance.jobs.JOBS``."""


class MaintenanceAlreadyRunning(MaintenanceError):
    """The job has a run in progress; a second one is refused rather than run alongside."""


class MaintenanceJobFailed(MaintenanceError):
    """The job ran to the end but its result is a failure (a drill that did not verify, an
    audit with findings); ``summary`` is what it found and is kept on the run."""

    def __init__(self, message: str, *, summary: dict[str, Any]) -> None:
        super().__init__(message)
        self.summary = summary


class ArchiveFailed(MaintenanceError):
    """An archive could not be written, or its rows not deleted; nothing was deleted."""


class InvalidArgument(MaintenanceError):
    """A command-line or call argument is out of range."""
