"""``record_key_rotation --key NAME``: note in the audit log that a secret was rotated."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from operations.maintenance.errors import InvalidArgument
from operations.maintenance.security import SECRETS, key_rotation_record


class Command(BaseCommand):
    help = "Record that a secret was rotated outside Peepers, so its age starts again."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--key", required=True, choices=sorted(SECRETS))
        parser.add_argument(
            "--by", default="manage.py record_key_rotation", help="Who rotated it (a staff e-mail)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            event = key_rotation_record(key=options["key"], by=options["by"])
        except InvalidArgument as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"{options['key']} rotation recorded (audit event {event.pk}).")
