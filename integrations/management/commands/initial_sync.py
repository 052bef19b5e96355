"""``initial_sync --tenant-id UUID [--ml-user-id N] [--full-sync]``: copy a store's ML data now,
in this process.

Syncs the store's account ``--ml-user-id`` (needed when the store holds several accounts).
Resumes the account's unfinished initial sync if there is one; ``--full-sync`` starts afresh.
Progress goes to stderr as it happens; the summary is printed as JSON on stdout.
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser, OutputWrapper
from django_tenants.utils import tenant_context

from integrations.mercadolivre.accounts import MLAccountAmbiguous, accounts_connected
from integrations.mercadolivre.errors import MLError, MLNotConnected, MLReconnectRequired
from integrations.mercadolivre.models import SyncRun
from integrations.mercadolivre.sync import SyncAlreadyRunning, ml_sync_initial
from tenants.models import Tenant, TenantStatus

BAR_WIDTH = 30


class ProgressBar:
    """One line redrawn in place on a terminal; a line every few seconds otherwise (logs)."""

    def __init__(self, stream: OutputWrapper) -> None:
        self.stream = stream
        self.tty = stream.isatty()
        self.interval = 0.1 if self.tty else 2.0
        self.last_drawn = 0.0
        self.last_phase = ""

    def __call__(self, run: SyncRun) -> None:
        now = time.monotonic()
        if run.phase == self.last_phase and now - self.last_drawn < self.interval:
            return
        self.last_drawn, self.last_phase = now, run.phase
        self.stream.write(
            ("\r" if self.tty else "") + self.line(run), ending="" if self.tty else "\n"
        )
        self.stream.flush()

    def line(self, run: SyncRun) -> str:
        done = int(run.counts.get(run.phase, 0))
        if run.phase == "items":
            done = int((run.cursor.get("items") or {}).get("seen", done))
        total = run.totals.get(run.phase)
        if total:
            filled = min(BAR_WIDTH, BAR_WIDTH * done // int(total))
            bar = "#" * filled + "." * (BAR_WIDTH - filled)
            position = f"[{bar}] {done}/{total}"
        else:
            position = f"{done}"
        return f"{run.phase:<9} {position}  ({run.ml_calls} ML calls)"

    def close(self) -> None:
        if self.tty and self.last_drawn:
            self.stream.write("")
            self.stream.flush()


class Command(BaseCommand):
    help = "Copy a store's Mercado Livre items, orders and open questions into its schema."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--tenant-id", required=True, dest="tenant_id")
        parser.add_argument(
            "--ml-user-id",
            type=int,
            dest="ml_user_id",
            help="the account to sync (the store's only account when left out)",
        )
        parser.add_argument(
            "--full-sync",
            action="store_true",
            dest="full",
            help="abandon any unfinished initial sync and start again from scratch",
        )

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
        bar = ProgressBar(self.stderr)
        try:
            outcome = ml_sync_initial(
                tenant=tenant,
                ml_user_id=options["ml_user_id"],
                full=options["full"],
                on_progress=bar,
            )
        except MLAccountAmbiguous as exc:
            with tenant_context(tenant):
                held = ", ".join(
                    f"{account.ml_user_id} ({account.label})" for account in accounts_connected()
                )
            raise CommandError(
                f"{tenant.name} holds several Mercado Livre accounts; choose one with "
                f"--ml-user-id: {held}"
            ) from exc
        except MLNotConnected as exc:
            if options["ml_user_id"] is not None:
                raise CommandError(
                    f"--ml-user-id: {options['ml_user_id']} is not connected to {tenant.name}"
                ) from exc
            raise CommandError(
                f"{tenant.name} has not connected a Mercado Livre account; connect it first "
                "(setup_oauth prints the link)"
            ) from exc
        except MLReconnectRequired as exc:
            raise CommandError(
                f"{tenant.name}'s Mercado Livre authorization is no longer valid; the seller "
                "must connect again (setup_oauth prints the link)"
            ) from exc
        except SyncAlreadyRunning as exc:
            raise CommandError(f"an initial sync of {tenant.name} is already running") from exc
        except MLError as exc:
            raise CommandError(
                f"the sync stopped: {exc.message}. Run the command again to resume."
            ) from exc
        finally:
            bar.close()
        self.stdout.write(json.dumps(outcome.as_dict(), indent=2, sort_keys=True))
