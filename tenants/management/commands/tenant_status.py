"""``tenant_status --tenant-id UUID --json``: everything support needs about one store."""

from __future__ import annotations

import json
import uuid
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from tenants.models import Tenant
from tenants.status import tenant_status_document


class Command(BaseCommand):
    help = "Print one store's status: tenant, plan, connections, row counts."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--tenant-id", required=True, dest="tenant_id", help="Tenant UUID.")
        parser.add_argument("--json", action="store_true", help="One JSON document on stdout.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            public_id = uuid.UUID(options["tenant_id"])
        except ValueError as exc:
            raise CommandError(f"--tenant-id: {options['tenant_id']!r} is not a UUID") from exc
        tenant = Tenant.objects.filter(public_id=public_id).first()
        if tenant is None:
            raise CommandError(f"--tenant-id: no store has id {public_id}")
        document = tenant_status_document(tenant=tenant)
        if options["json"]:
            self.stdout.write(json.dumps(document, indent=2, sort_keys=False, default=str))
            return
        for section, value in document.items():
            if isinstance(value, dict):
                self.stdout.write(f"{section}:")
                for key, item in value.items():
                    self.stdout.write(f"  {key}: {_text(item)}")
            elif isinstance(value, list):
                self.stdout.write(f"{section}: {len(value) or 'none'}")
                for entry in value:
                    self.stdout.write(f"  - {_text(entry)}")
            else:
                self.stdout.write(f"{section}: {value}")


def _text(value: Any) -> str:
    """One line for a value of the document: a mapping as ``key: value`` pairs (a mapping
    within one in parentheses)."""
    if isinstance(value, dict):
        return ", ".join(
            f"{key}: ({_text(item)})" if isinstance(item, dict) else f"{key}: {item}"
            for key, item in value.items()
        )
    return str(value)
