"""Errors of backups and restores; commands map them to exit code 1, the drill to an alert."""

from __future__ import annotations

from core.errors import DomainError


class BackupError(DomainError):
    """Base of every backup or restore failure."""


class BackupToolFailed(BackupError):
    """pg_dump, pg_restore or psql exited non-zero; the message carries its stderr tail."""


class ArchiveCorrupted(BackupError):
    """The encrypted file fails its authentication tag, is truncated, or its checksum differs."""


class ArchiveKeyMissing(BackupError):
    """None of FIELD_ENCRYPTION_KEYS is the key the archive was written with."""


class BackupNotRestorable(BackupError):
    """The backup did not succeed, or its file is gone (pruned or never written)."""


class RestoreTargetExists(BackupError):
    """The database or schema to restore into exists already; restores never overwrite."""


class RestoreTargetInvalid(BackupError):
    """The target name is not a plain identifier, or does not fit the backup's kind."""


class OffsiteStorageFailed(BackupError):
    """The S3-compatible storage could not be reached, refused a request, or holds an object
    that does not match its backup; the message carries the storage's error."""


class BackupUploadFailed(OffsiteStorageFailed):
    """The backup succeeded locally but its off-site copy did not: the row stays
    ``succeeded`` with ``upload_error`` set, and this is raised so the scheduled run fails."""

    def __init__(self, message: str, *, backup_id: int) -> None:
        super().__init__(message)
        self.backup_id = backup_id
