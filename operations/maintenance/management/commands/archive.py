"""``archive``: old rows to compressed, encrypted, checksummed files, then deleted."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.utils import timezone

from operations.backups.errors import BackupError
from operations.maintenance.archive import archive_old_rows, archive_read
from operations.maintenance.commandline import JobCommand
from operations.maintenance.errors import MaintenanceJobFailed


class Command(JobCommand):
    help = "Archive rows older than their keep period to BACKUP_DIR/archive, then delete them."
    job = "archive"

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument(
            "--dry-run", action="store_true", help="Count what would go; change nothing."
        )
        parser.add_argument("--read", metavar="FILE", help="Print an archive file's rows.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["read"]:
            try:
                for row in archive_read(Path(options["read"])):
                    self.stdout.write(json.dumps(row))
            except (OSError, BackupError) as exc:
                raise CommandError(f"cannot read {options['read']}: {exc}", returncode=1) from exc
            return
        if not options["dry_run"]:
            super().handle(*args, **options)
            return
        try:
            summary = archive_old_rows(now=timezone.now(), dry_run=True)
        except MaintenanceJobFailed as exc:
            raise CommandError(str(exc), returncode=1) from exc
        if options["json"]:
            self.stdout.write(json.dumps(summary, indent=2))
        else:
            self.stdout.write("archive (dry run, nothing written or deleted):")
            for line in self.render(summary):
                self.stdout.write(f"  {line}")

    def render(self, summary: Mapping[str, Any]) -> list[str]:
        lines = []
        for source in summary.get("sources", []):
            if "error" in source:
                lines.append(f"{source['source']}: FAILED: {source['error']}")
            elif source.get("path"):
                lines.append(
                    f"{source['source']}: {source['rows']} rows before {source['cutoff']} -> "
                    f"{source['path']} (sha256 {source['sha256']}), deleted {source['deleted']}"
                )
            else:
                lines.append(f"{source['source']}: {source['rows']} rows before {source['cutoff']}")
        return lines
