"""``smoke_test [--base-url URL] [--tenant SLUG] [--json]``: a release answers its contracts."""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError

from operations.deploy import smoke_test_run
from tenants.models import Tenant, TenantStatus


def _default_tenant() -> str:
    """The oldest active store: its host must render after every deploy."""
    try:
        slug = (
            Tenant.objects.filter(status=TenantStatus.ACTIVE, domains__isnull=False)
            .exclude(schema_name__in=["public", settings.PEEPERS_TEMPLATE_SCHEMA])
            .order_by("created_at")
            .values_list("schema_name", flat=True)
            .first()
        )
    except DatabaseError as exc:
        raise CommandError(
            f"cannot pick a store without the database ({exc}); pass --tenant"
        ) from exc
    if slug is None:
        raise CommandError("no active store to render; pass --tenant SLUG")
    return str(slug)


class Command(BaseCommand):
    help = (
        "Smoke-test a running server over HTTP: health, login pages (public and a store's), "
        "the webhook endpoints (a malformed body must be refused), /metrics. Exit 1 on a failure."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        default = (
            f"{settings.PEEPERS_URL_SCHEME}://{settings.PEEPERS_BASE_DOMAIN}"
            f"{settings.PEEPERS_URL_PORT}"
        )
        parser.add_argument("--base-url", default=default, help=f"where to connect ({default})")
        parser.add_argument(
            "--tenant", help="slug of the store whose login page must render (default: the oldest)"
        )
        parser.add_argument("--json", action="store_true", help="one JSON document")

    def handle(self, *args: Any, **options: Any) -> None:
        slug = options["tenant"] or _default_tenant()
        checks = smoke_test_run(
            base_url=options["base_url"],
            tenant_slug=slug,
            metrics_token=settings.METRICS_TOKEN,
        )
        passed = all(check.ok for check in checks) and len(checks) > 0
        if options["json"]:
            document = {
                "ok": passed,
                "base_url": options["base_url"],
                "tenant": slug,
                "checks": [check.as_dict() for check in checks],
            }
            self.stdout.write(json.dumps(document, indent=2))
        else:
            for check in checks:
                status = "-" if check.status is None else str(check.status)
                self.stdout.write(
                    f"{'ok  ' if check.ok else 'FAIL'} {check.name:<15} {status:>3} "
                    f"{check.ms:>8.1f} ms  {check.message}"
                )
            self.stdout.write("smoke test passed" if passed else "smoke test FAILED")
        if not passed:
            raise SystemExit(1)
