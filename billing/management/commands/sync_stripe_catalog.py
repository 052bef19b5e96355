"""``sync_stripe_catalog``: create or update Stripe's products, prices and tax rates from ours."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from billing.catalog import stripe_catalog_sync
from billing.errors import BillingError


class Command(BaseCommand):
    help = "Create or update the Stripe Products, Prices and tax rates of the plan catalogue."

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            report = stripe_catalog_sync()
        except BillingError as exc:
            raise CommandError(exc.message) from exc
        for line in report:
            self.stdout.write(line)
        self.stdout.write(f"catalogue in sync ({len(report)} change(s))")
