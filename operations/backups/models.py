"""Backups: checksummed, encrypted pg_dump archives with retention, and verified restores."""

from __future__ import annotations

from django.db import models


class BackupKind(models.TextChoices):
    DAILY = "daily", "daily (whole database)"
    FULL = "full", "full (whole database, weekly)"
    TENANT = "tenant", "one store's schema"


class BackupStatus(models.TextChoices):
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    PRUNED = "pruned"


class Backup(models.Model):
    """One pg_dump run: where its encrypted file is (locally, and off-site when uploaded), its
    checksums, exact row counts and table content checksums."""

    kind = models.CharField(max_length=16, choices=BackupKind.choices)
    tenant_schema = models.CharField(max_length=63, blank=True)
    path = models.CharField(max_length=1024, blank=True)
    size_bytes = models.BigIntegerField(default=0, help_text="Size of the encrypted file.")
    sha256_plain = models.CharField(max_length=64, blank=True, help_text="Of the pg_dump output.")
    sha256_encrypted = models.CharField(max_length=64, blank=True)
    row_counts = models.JSONField(
        default=dict, help_text='Exact COUNT(*) per "schema.table" in the dump\'s snapshot.'
    )
    row_checksums = models.JSONField(
        default=dict,
        blank=True,
        help_text="Checksum of each \"schema.table\"'s rows in the dump's snapshot.",
    )
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=16, choices=BackupStatus.choices)
    error = models.TextField(blank=True)
    by = models.CharField(max_length=254, help_text="Staff member or scheduled job.")
    s3_bucket = models.CharField(max_length=63, blank=True, help_text="Off-site copy's bucket.")
    s3_key = models.CharField(max_length=1024, blank=True, help_text="Off-site copy's key.")
    uploaded_at = models.DateTimeField(
        null=True, blank=True, help_text="When the off-site copy was uploaded and checked."
    )
    upload_error = models.TextField(
        blank=True, help_text="Why the off-site copy failed; the local file is still good."
    )

    class Meta:
        ordering = ["-started_at"]
        indexes = [models.Index(fields=["kind", "status", "-started_at"])]

    def __str__(self) -> str:
        scope = f" {self.tenant_schema}" if self.tenant_schema else ""
        return f"{self.kind}{scope} {self.started_at:%Y-%m-%d %H:%M} {self.status}"

    @property
    def s3_url(self) -> str:
        return f"s3://{self.s3_bucket}/{self.s3_key}" if self.s3_key else ""


class RestoreOutcome(models.TextChoices):
    RUNNING = "running"
    VERIFIED = "verified"
    MISMATCH = "mismatch", "restored, counts differ"
    FAILED = "failed"


class Restore(models.Model):
    """One restore (or drill) of a backup into a new database or schema, and its verification."""

    backup = models.ForeignKey(Backup, on_delete=models.SET_NULL, null=True, related_name="+")
    target_database = models.CharField(max_length=63, blank=True)
    target_schema = models.CharField(max_length=63, blank=True)
    is_drill = models.BooleanField(default=False)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=16, choices=RestoreOutcome.choices)
    diff = models.JSONField(
        default=dict, help_text='"schema.table" -> {"expected": n, "restored": m}, mismatches only.'
    )
    tables_checked = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    by = models.CharField(max_length=254)

    class Meta:
        ordering = ["-started_at"]

    def __str__(self) -> str:
        target = self.target_schema or self.target_database
        return f"restore of {self.backup_id} into {target}: {self.outcome}"
