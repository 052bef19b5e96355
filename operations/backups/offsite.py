"""Off-site copies of backup files on S3-compatible storage (``BACKUP_S3_URL``): upload with
a check that the stored object is byte-for-byte the file, download for restores, delete.

An upload is checked after it completes: the object's size, its ``sha256`` metadata and its
ETag (the MD5 of the file, or of its parts' MD5s for a multipart upload) must match the file.
Services whose ETag is not an MD5 (e.g. AWS SSE-KMS) are checked by reading the object back
instead. An object that fails the check is deleted, so nothing half-written looks complete.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import boto3
from boto3.exceptions import Boto3Error
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from django.conf import settings
from s3transfer.utils import ChunksizeAdjuster

from operations.backups.archive import CHUNK_SIZE
from operations.backups.errors import (
    ArchiveCorrupted,
    BackupNotRestorable,
    OffsiteStorageFailed,
)

if TYPE_CHECKING:
    from mypy_boto3_s3.client import S3Client

    from operations.backups.models import Backup

# Files above this go up in parts of this size (s3transfer doubles it past 10,000 parts).
PART_SIZE = 64 * 1024 * 1024
_STORAGE_ERRORS = (BotoCoreError, ClientError, Boto3Error)


@dataclass(frozen=True)
class OffsiteTarget:
    bucket: str
    prefix: str  # "" or ending in "/"

    def key_for(self, relative: str) -> str:
        return self.prefix + relative


def offsite_target() -> OffsiteTarget | None:
    """Where new backups are uploaded, from ``BACKUP_S3_URL``; None when it is empty."""
    url = settings.BACKUP_S3_URL.strip()
    if not url:
        return None
    scheme, _, rest = url.partition("://")
    bucket, _, prefix = rest.partition("/")
    if scheme != "s3" or not bucket:
        raise OffsiteStorageFailed(f"BACKUP_S3_URL {url!r} is not s3://bucket[/prefix]")
    prefix = prefix.strip("/")
    return OffsiteTarget(bucket=bucket, prefix=f"{prefix}/" if prefix else "")


def _client() -> S3Client:
    config = Config(
        connect_timeout=10,
        read_timeout=120,
        retries={"mode": "standard", "max_attempts": 3},
        # Integrity is checked by our own sha256/ETag comparison; the newer default CRC
        # headers are rejected by several S3-compatible services.
        request_checksum_calculation="when_required",
        response_checksum_validation="when_required",
        # Self-hosted services (MinIO, ...) behind an endpoint URL rarely resolve
        # bucket.host names; AWS itself keeps the virtual-host default.
        s3={"addressing_style": "path" if settings.BACKUP_S3_ENDPOINT_URL else "auto"},
    )
    return boto3.client(
        "s3",
        endpoint_url=settings.BACKUP_S3_ENDPOINT_URL or None,
        region_name=settings.BACKUP_S3_REGION or None,
        config=config,
    )


def _transfer_config() -> TransferConfig:
    return TransferConfig(
        multipart_threshold=PART_SIZE, multipart_chunksize=PART_SIZE, max_concurrency=4
    )


def _failed(action: str, url: str, exc: Exception) -> OffsiteStorageFailed:
    return OffsiteStorageFailed(f"{action} {url}: {type(exc).__name__}: {exc}")


def _not_found(exc: ClientError) -> bool:
    error = exc.response.get("Error", {})
    return error.get("Code") in {"404", "NoSuchKey", "NotFound"}


def expected_etag(path: Path, *, size: int) -> str:
    """The ETag S3 gives ``path`` uploaded with our transfer config (single or multipart)."""
    if size < PART_SIZE:
        digest = hashlib.md5(usedforsecurity=False)
        with path.open("rb") as handle:
            while chunk := handle.read(CHUNK_SIZE):
                digest.update(chunk)
        return digest.hexdigest()
    part_size = ChunksizeAdjuster().adjust_chunksize(PART_SIZE, size)
    parts: list[bytes] = []
    with path.open("rb") as handle:
        while True:
            digest = hashlib.md5(usedforsecurity=False)
            remaining = part_size
            while remaining and (chunk := handle.read(min(CHUNK_SIZE, remaining))):
                digest.update(chunk)
                remaining -= len(chunk)
            if remaining == part_size:
                break
            parts.append(digest.digest())
    return f"{hashlib.md5(b''.join(parts), usedforsecurity=False).hexdigest()}-{len(parts)}"


def _object_sha256(client: S3Client, *, bucket: str, key: str) -> str:
    body = client.get_object(Bucket=bucket, Key=key)["Body"]
    digest = hashlib.sha256()
    try:
        while chunk := body.read(CHUNK_SIZE):
            digest.update(chunk)
    finally:
        body.close()
    return digest.hexdigest()


def offsite_upload(*, backup: Backup, path: Path, relative: str) -> tuple[str, str]:
    """Upload ``path`` as ``relative`` under the target and check the stored object; returns
    (bucket, key). Raises OffsiteStorageFailed; an object that fails the check is deleted."""
    target = offsite_target()
    if target is None:
        raise OffsiteStorageFailed("BACKUP_S3_URL is not set")
    key = target.key_for(relative)
    url = f"s3://{target.bucket}/{key}"
    size = path.stat().st_size
    client = _client()
    try:
        # upload_file aborts a multipart upload that fails, so no partial object is left.
        client.upload_file(
            str(path),
            target.bucket,
            key,
            ExtraArgs={
                "Metadata": {
                    "sha256": backup.sha256_encrypted,
                    "sha256-plain": backup.sha256_plain,
                    "backup-id": str(backup.pk),
                }
            },
            Config=_transfer_config(),
        )
        head = client.head_object(Bucket=target.bucket, Key=key)
        problem = ""
        if head["ContentLength"] != size:
            problem = f"{head['ContentLength']} bytes stored, {size} sent"
        elif head.get("Metadata", {}).get("sha256") != backup.sha256_encrypted:
            problem = "its sha256 metadata differs"
        elif head["ETag"].strip('"') != expected_etag(path, size=size):
            stored = _object_sha256(client, bucket=target.bucket, key=key)
            if stored != backup.sha256_encrypted:
                problem = "its contents differ from the file (sha256 read back)"
        if problem:
            client.delete_object(Bucket=target.bucket, Key=key)
            raise OffsiteStorageFailed(f"uploaded {url} but {problem}; the object was deleted")
    except _STORAGE_ERRORS as exc:
        raise _failed("upload to", url, exc) from exc
    return target.bucket, key


def offsite_download(*, backup: Backup, to: Path) -> None:
    """Download the backup's object to ``to`` and check its sha256 against the row.

    Raises BackupNotRestorable (no such object), ArchiveCorrupted (sha256 differs; ``to`` is
    deleted) or OffsiteStorageFailed.
    """
    url = backup.s3_url
    try:
        _client().download_file(backup.s3_bucket, backup.s3_key, str(to), Config=_transfer_config())
    except ClientError as exc:
        to.unlink(missing_ok=True)
        if _not_found(exc):
            raise BackupNotRestorable(
                f"backup {backup.pk}: no local file and {url} is missing"
            ) from exc
        raise _failed("download of", url, exc) from exc
    except _STORAGE_ERRORS as exc:
        to.unlink(missing_ok=True)
        raise _failed("download of", url, exc) from exc
    digest = hashlib.sha256()
    with to.open("rb") as handle:
        while chunk := handle.read(CHUNK_SIZE):
            digest.update(chunk)
    if digest.hexdigest() != backup.sha256_encrypted:
        to.unlink()
        raise ArchiveCorrupted(
            f"backup {backup.pk}: the encrypted file's sha256 differs: {url} is not the "
            "file that was uploaded"
        )


def offsite_delete(*, backup: Backup) -> None:
    """Delete the backup's object; one already gone is not an error."""
    try:
        _client().delete_object(Bucket=backup.s3_bucket, Key=backup.s3_key)
    except ClientError as exc:
        if not _not_found(exc):
            raise _failed("delete of", backup.s3_url, exc) from exc
    except _STORAGE_ERRORS as exc:
        raise _failed("delete of", backup.s3_url, exc) from exc
