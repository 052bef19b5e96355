"""``backup daily|full [--tenant UUID] [--no-prune] [--no-upload]``: take a backup now, print
its checksums; ``backup --list``: where each backup lives; ``backup --upload ID``: upload one."""

from __future__ import annotations

import getpass
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from operations.backups.errors import BackupError, BackupUploadFailed
from operations.backups.models import Backup
from operations.backups.services import (
    backup_create,
    backup_location,
    backup_prune,
    backup_upload,
    offsite_configured,
)
from tenants.models import Tenant


class Command(BaseCommand):
    help = (
        "Back up the database (or one store's schema with --tenant), encrypted, upload it to "
        "BACKUP_S3_URL when set, then prune. --list shows where each backup lives."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", nargs="?", choices=["daily", "full"])
        parser.add_argument("--tenant", help="public id (UUID) of the store to back up alone")
        parser.add_argument("--no-prune", action="store_true")
        parser.add_argument("--no-upload", action="store_true", help="keep this backup local only")
        parser.add_argument("--list", action="store_true", help="list backups and where each lives")
        parser.add_argument(
            "--upload",
            type=int,
            metavar="ID",
            help="upload an existing backup (e.g. one whose upload failed) to BACKUP_S3_URL",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["list"]:
            self._list()
            return
        if options["upload"] is not None:
            self._upload(options["upload"])
            return
        if not options["kind"]:
            raise CommandError("give daily or full (or --list, or --upload ID)")
        tenant = None
        if options["tenant"]:
            tenant = Tenant.objects.filter(public_id=options["tenant"]).first()
            if tenant is None:
                raise CommandError(f"no store with public id {options['tenant']}")
        by = f"command:{getpass.getuser()}"
        try:
            backup = backup_create(
                kind="tenant" if tenant else options["kind"],
                tenant=tenant,
                by=by,
                upload=not options["no_upload"],
                progress=self.stdout.write,
            )
        except BackupUploadFailed as exc:
            # Not pruned either: while uploads fail, the local copies are the only ones.
            raise CommandError(f"upload failed (backup kept locally): {exc}") from exc
        except BackupError as exc:
            raise CommandError(f"backup failed: {exc}") from exc
        self.stdout.write(f"backup {backup.pk} ok: {backup.path}")
        if backup.s3_key:
            self.stdout.write(f"off-site copy {backup.s3_url}")
        self.stdout.write(f"sha256 (dump) {backup.sha256_plain}")
        self.stdout.write(f"sha256 (file) {backup.sha256_encrypted}")
        if not options["no_prune"]:
            try:
                pruned = backup_prune()
            except BackupError as exc:
                raise CommandError(f"prune incomplete: {exc}") from exc
            self.stdout.write(f"pruned {len(pruned)} old backup(s)")

    def _list(self) -> None:
        for backup in Backup.objects.order_by("-started_at"):
            scope = backup.tenant_schema or "(database)"
            line = (
                f"{backup.pk:>6}  {backup.kind:<6}  {scope:<24}  "
                f"{backup.started_at:%Y-%m-%d %H:%M}  {backup.status:<9}  "
                f"{backup.size_bytes:>12}  {backup_location(backup)}"
            )
            if backup.upload_error:
                line += f"  upload error: {backup.upload_error}"
            self.stdout.write(line)

    def _upload(self, pk: int) -> None:
        if not offsite_configured():
            raise CommandError("BACKUP_S3_URL is not set")
        backup = Backup.objects.filter(pk=pk).first()
        if backup is None:
            raise CommandError(f"no backup {pk}")
        try:
            backup_upload(backup=backup, progress=self.stdout.write)
        except BackupError as exc:
            raise CommandError(f"upload failed: {exc}") from exc
        self.stdout.write(f"backup {backup.pk} uploaded: {backup.s3_url}")
