"""``sync_stripe_catalog``: create or update Stripe's products, prices, tax rates and Customer
Portal configuration from ours."""

from __future__ import annotations

import time
from typing import Any

import httpx
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from billing.catalog import stripe_catalog_sync
from billing.errors import BillingError, StripeUnavailable


class Command(BaseCommand):
    help = (
        "Create or update the Stripe Products, Prices and tax rates of the plan catalogue, and "
        "the Customer Portal configuration that offers them."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--wait",
            type=float,
            default=0,
            metavar="SECONDS",
            help="Keep trying this long while Stripe does not answer (e.g. an emulator starting).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        deadline = time.monotonic() + options["wait"]
        _answering(settings.STRIPE_API_BASE, deadline=deadline)
        while True:
            try:
                report = stripe_catalog_sync()
                break
            except StripeUnavailable as exc:
                if time.monotonic() >= deadline:
                    raise CommandError(exc.message) from exc
                time.sleep(0.5)
            except BillingError as exc:
                raise CommandError(exc.message) from exc
        for line in report:
            self.stdout.write(line)
        self.stdout.write(f"catalogue in sync ({len(report)} change(s))")


def _answering(base: str, *, deadline: float) -> None:
    """Wait quietly until something answers HTTP at ``base`` (an emulator starting beside us)
    or ``deadline`` passes; the sync's own attempts then log only real trouble."""
    while time.monotonic() < deadline:
        try:
            httpx.get(base, timeout=2.0)
        except httpx.TransportError:
            time.sleep(0.25)
        else:
            return
