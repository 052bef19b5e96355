"""``rotate_ml_keys``: re-encrypt every store's Mercado Livre tokens under the newest key.

Put the new key first in ``FIELD_ENCRYPTION_KEYS`` (keep the old ones after it), deploy, run
this, then drop the old keys. Safe to interrupt and run again: each store is its own
transaction, and tokens already under the newest key are skipped.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from compliance.audit.services import Actor
from integrations.mercadolivre.keys import ml_tokens_rotate


class Command(BaseCommand):
    help = "Re-encrypt Mercado Livre tokens under the first FIELD_ENCRYPTION_KEYS key."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--json", action="store_true", help="Print the counts as JSON.")

    def handle(self, *args: Any, **options: Any) -> None:
        report = ml_tokens_rotate(
            actor=Actor.system("rotate_ml_keys"), progress=lambda line: self.stderr.write(line)
        )
        if options["json"]:
            self.stdout.write(json.dumps(report.as_dict()))
        else:
            self.stdout.write(
                f"stores: {report.stores}, tokens re-encrypted: {report.rotated}, "
                f"already current: {report.current}, unreadable: {report.failed}"
            )
        if report.failed:
            self.stderr.write(
                "Some tokens decrypt under no configured key; those accounts must reconnect."
            )
