"""``restore --backup ID (--database NAME | --schema NAME) [--verify-only]``."""

from __future__ import annotations

import getpass
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from operations.backups.errors import BackupError
from operations.backups.models import Backup, RestoreOutcome
from operations.backups.restores import restore_create
from operations.backups.services import backup_verify


class Command(BaseCommand):
    help = "Restore a backup into a NEW database or schema and verify row counts."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--backup", type=int, required=True)
        target = parser.add_mutually_exclusive_group()
        target.add_argument("--database")
        target.add_argument("--schema", help="new schema name (store backups only)")
        parser.add_argument(
            "--verify-only", action="store_true", help="check checksums and tags, restore nothing"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        backup = Backup.objects.filter(pk=options["backup"]).first()
        if backup is None:
            raise CommandError(f"no backup {options['backup']}")
        try:
            if options["verify_only"]:
                backup_verify(backup=backup)
                self.stdout.write(f"backup {backup.pk}: checksums and authentication tags ok")
                return
            if not (options["database"] or options["schema"]):
                raise CommandError("give --database NAME or --schema NAME (or --verify-only)")
            restore = restore_create(
                backup=backup,
                database=options["database"],
                schema=options["schema"],
                by=f"command:{getpass.getuser()}",
                progress=self.stdout.write,
            )
        except BackupError as exc:
            raise CommandError(f"restore refused: {exc}") from exc
        if restore.outcome != RestoreOutcome.VERIFIED:
            raise CommandError(f"restore {restore.pk} {restore.outcome}")
        self.stdout.write(f"restore {restore.pk} verified: {restore.tables_checked} tables match")
