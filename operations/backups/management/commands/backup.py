"""``backup daily|full [--tenant UUID]``: take a backup now, print its checksums."""

from __future__ import annotations

import getpass
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from operations.backups.errors import BackupError
from operations.backups.services import backup_create, backup_prune
from tenants.models import Tenant


class Command(BaseCommand):
    help = "Back up the database (or one store's schema with --tenant), encrypted, then prune."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", choices=["daily", "full"])
        parser.add_argument("--tenant", help="public id (UUID) of the store to back up alone")
        parser.add_argument("--no-prune", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
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
                progress=self.stdout.write,
            )
        except BackupError as exc:
            raise CommandError(f"backup failed: {exc}") from exc
        self.stdout.write(f"backup {backup.pk} ok: {backup.path}")
        self.stdout.write(f"sha256 (dump) {backup.sha256_plain}")
        self.stdout.write(f"sha256 (file) {backup.sha256_encrypted}")
        if not options["no_prune"]:
            self.stdout.write(f"pruned {len(backup_prune())} old backup(s)")
