"""``ml_webhook_replay``: send dead (or orphaned) inbox notifications through processing again."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from integrations.mercadolivre.inbox import ML_INBOX
from integrations.models import NotificationStatus


class Command(BaseCommand):
    help = "Replay dead or orphaned Mercado Livre notifications from the inbox."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--id", type=int, action="append", dest="ids", help="Inbox row id (repeatable)."
        )
        parser.add_argument(
            "--status",
            action="append",
            choices=[NotificationStatus.DEAD, NotificationStatus.ORPHANED],
            help="Which rows (default: dead).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        statuses = tuple(options["status"] or [NotificationStatus.DEAD])
        count = ML_INBOX.replay(ids=options["ids"], statuses=statuses)
        if options["ids"] and count < len(options["ids"]):
            asked, wanted = len(options["ids"]), "/".join(statuses)
            raise CommandError(f"replayed {count} of {asked}: the rest are not {wanted}")
        self.stdout.write(f"replaying {count} notification(s)")
