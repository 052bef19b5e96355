"""``setup_oauth --tenant-id UUID --redirect-uri URI``: print the link a seller opens to connect.

For staff-driven onboarding (the runbook's step after ``create_tenant``). The redirect URI
must be the one registered on the Mercado Livre application (``ML_REDIRECT_URI``): ML accepts
no other, so a different value is refused here rather than at the seller's browser.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from integrations.mercadolivre.services import STATE_MAX_AGE, ml_connect_start
from tenants.models import Tenant, TenantStatus


class Command(BaseCommand):
    help = "Print the Mercado Livre authorization URL that connects a store."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--tenant-id", required=True, dest="tenant_id")
        parser.add_argument("--redirect-uri", dest="redirect_uri", default=None)

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            public_id = uuid.UUID(options["tenant_id"])
        except ValueError as exc:
            raise CommandError(f"--tenant-id: {options['tenant_id']!r} is not a UUID") from exc
        tenant = Tenant.objects.filter(public_id=public_id).exclude(schema_name="public").first()
        if tenant is None:
            raise CommandError(f"--tenant-id: no store has id {public_id}")
        if tenant.status != TenantStatus.ACTIVE:
            raise CommandError(f"--tenant-id: the store is {tenant.status}")
        redirect_uri = options["redirect_uri"]
        if redirect_uri and redirect_uri != settings.ML_REDIRECT_URI:
            raise CommandError(
                f"--redirect-uri: Mercado Livre only redirects to the registered URI "
                f"{settings.ML_REDIRECT_URI!r} (ML_REDIRECT_URI)"
            )
        started = ml_connect_start(tenant=tenant, started_by="staff")
        minutes = int(STATE_MAX_AGE.total_seconds() // 60)
        self.stderr.write(
            f"Send this link to the owner of {tenant.name}; it works once, for {minutes} minutes:"
        )
        self.stdout.write(started.authorization_url)
