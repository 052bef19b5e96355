"""``compliance_attest``: record a person's attestation of a checklist item no check can see,
or list the items that take one and their current attestation."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from compliance.attestations import ATTESTABLE, attestation_current, attestation_record
from compliance.errors import AttestationInvalid


class Command(BaseCommand):
    help = "Attest a checklist item (--item, --by, --statement), or --list what takes one."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--item", help="The checklist item, exactly as the report names it.")
        parser.add_argument("--by", help="The attester's e-mail.")
        parser.add_argument("--statement", help="What you attest, and where the proof is kept.")
        parser.add_argument("--list", action="store_true", help="List the attestable items.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["list"]:
            now = timezone.now()
            for item, spec in sorted(ATTESTABLE.items()):
                found = attestation_current(item=item, now=now)
                state = (
                    f"attested by {found.attested_by} on {found.attested_at:%Y-%m-%d}, "
                    f"valid until {found.valid_until:%Y-%m-%d}"
                    if found
                    else "NOT ATTESTED"
                )
                self.stdout.write(f"{item}: {spec.asks}\n    {state}")
            return
        missing = [f"--{name}" for name in ("item", "by", "statement") if not options[name]]
        if missing:
            raise CommandError(f"{', '.join(missing)} required (or --list)", returncode=2)
        try:
            found = attestation_record(
                item=options["item"], by=options["by"], statement=options["statement"]
            )
        except AttestationInvalid as exc:
            raise CommandError(exc.message, returncode=1) from exc
        self.stdout.write(
            f"{found.item}: attested by {found.attested_by} on {found.attested_at:%Y-%m-%d %H:%M}"
            f" UTC, valid until {found.valid_until:%Y-%m-%d}"
        )
