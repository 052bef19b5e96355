"""``sync_subscriptions``: reconcile every store's subscription mirror and invoices with Stripe."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from billing.sync import subscriptions_reconcile


class Command(BaseCommand):
    help = "Fetch every store's subscription and invoices from Stripe into the mirror."

    def handle(self, *args: Any, **options: Any) -> None:
        outcome = subscriptions_reconcile()
        self.stdout.write(
            f"synced {outcome['synced']} store(s), {outcome['live']} with a live subscription, "
            f"{outcome['failed']} failed"
        )
        if outcome["failed"]:
            raise CommandError(f"{outcome['failed']} store(s) could not be synced; see the log")
