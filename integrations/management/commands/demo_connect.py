"""``demo_connect [--wait S] [--seller-index N]``: connect the demo store to an ML sandbox seller
and sync it, as ``make dev`` does on every start (development only).

A demo store whose free trial ended without a subscription (a ``.data/`` older than the trial)
starts its trial again. The bundled sandbox keeps everything in memory and generates its data
around the moment it starts, so each start of ``make dev`` connects the demo store again (the
sandbox no longer knows the previous tokens) and runs a full initial sync, which brings the
store's copy to the sandbox's current data. The seller approves on the sandbox's consent page
through its ``sandbox_user_id`` shortcut; everything after that is the product's own connect
flow.
"""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from billing.entitlements import Access, entitlements_for
from billing.models import SubscriptionMirror, SubscriptionStatus
from billing.sync import entitlement_forget
from integrations.management.commands.initial_sync import ProgressBar
from integrations.mercadolivre.errors import MLConnectError, MLError
from integrations.mercadolivre.services import ml_connect_complete, ml_connect_start
from integrations.mercadolivre.sync import SyncAlreadyRunning, SyncOutcome, ml_sync_initial
from tenants.demo import DEMO_STORE, DEMO_STORES
from tenants.models import Tenant, TenantStatus

HTTP_TIMEOUT_SECONDS = 10.0


class Command(BaseCommand):
    help = "Connect the demo store to an ML sandbox seller and sync it (development only)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--wait",
            type=float,
            default=0.0,
            help="seconds to wait for the sandbox to answer (make dev starts it alongside)",
        )
        parser.add_argument(
            "--seller-index",
            type=int,
            default=0,
            help="which of the sandbox's sellers (0 = the first)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.PRODUCTION:
            raise CommandError("demo_connect is for development; it never runs in production")
        if not Tenant.objects.filter(schema_name=DEMO_STORE.slug).exists():
            raise CommandError(f"there is no {DEMO_STORE.slug!r} store: run seed_demo first")
        for renewed in _trials_renewed():
            self.stdout.write(f"  {renewed.name}'s free trial starts again today (development).")
        tenant = Tenant.objects.get(schema_name=DEMO_STORE.slug)
        if tenant.owner_email.lower() != DEMO_STORE.owner:
            raise CommandError(
                f"the store at {DEMO_STORE.slug!r} is not the demo store (its owner is "
                f"{tenant.owner_email}); it is left as it is"
            )
        sellers = _sandbox_sellers(options["wait"])
        index = options["seller_index"]
        if not 0 <= index < len(sellers):
            raise CommandError(
                f"--seller-index: the sandbox has {len(sellers)} sellers (0 to {len(sellers) - 1})"
            )
        seller = sellers[index]
        seller_id, nickname = int(seller["id"]), str(seller["nickname"])
        try:
            _connect(tenant, seller_id)
        except MLConnectError as exc:
            raise CommandError(
                f"{tenant.name} could not connect {nickname}: {exc.message}"
            ) from exc
        bar = ProgressBar(self.stderr)
        try:
            outcome = _sync(tenant, seller_id, on_progress=bar, wait=max(options["wait"], 60.0))
        except MLError as exc:
            raise CommandError(f"the demo store's sync stopped: {exc.message}") from exc
        finally:
            bar.close()
        stored = outcome.stored
        self.stdout.write(
            f"  {tenant.name} is connected to the sandbox seller {nickname} ({seller_id}) and "
            f"synced: {stored.get('items', 0)} listings, {stored.get('orders', 0)} orders, "
            f"{stored.get('questions', 0)} questions."
        )


def _trials_renewed() -> list[Tenant]:
    """The demo stores whose free trial had ended without a subscription, their trial started
    again from today: a ``.data/`` older than the trial keeps a demo that connects and syncs."""
    renewed = []
    stores = Tenant.objects.filter(
        schema_name__in=[store.slug for store in DEMO_STORES], status=TenantStatus.ACTIVE
    )
    owners = {store.slug: store.owner for store in DEMO_STORES}
    for tenant in stores:
        if tenant.owner_email.lower() != owners[tenant.schema_name]:
            continue  # a store signed up at that address, not the demo's
        if entitlements_for(tenant=tenant).access == Access.FULL:
            continue
        subscribed = SubscriptionMirror.objects.filter(tenant=tenant).exclude(
            status=SubscriptionStatus.NONE
        )
        if subscribed.exists():
            continue  # a subscription decides, as it would for any store
        Tenant.objects.filter(pk=tenant.pk).update(created_at=timezone.now())
        entitlement_forget(tenant.pk)
        renewed.append(tenant)
    return renewed


def _sandbox_sellers(wait: float) -> list[dict[str, Any]]:
    """The sellers the sandbox at ``ML_API_BASE`` serves, waiting up to ``wait`` seconds for it
    to answer; refused when ``ML_API_BASE`` is not the bundled sandbox."""
    url = f"{settings.ML_API_BASE.rstrip('/')}/_sandbox/state"
    headers = {"Authorization": f"Bearer {settings.ML_CLIENT_SECRET}"}
    deadline = time.monotonic() + wait
    while True:
        try:
            response = httpx.get(url, headers=headers, timeout=HTTP_TIMEOUT_SECONDS)
        except httpx.TransportError as exc:
            if time.monotonic() < deadline:
                time.sleep(0.5)
                continue
            raise CommandError(
                f"the ML sandbox at {settings.ML_API_BASE} does not answer ({exc})"
            ) from exc
        if response.status_code != 200:
            raise CommandError(
                f"ML_API_BASE ({settings.ML_API_BASE}) is not the bundled sandbox (its "
                f"/_sandbox/state answered {response.status_code}): connect the demo store from "
                "its Settings page instead"
            )
        return list(response.json()["sellers"])


def _connect(tenant: Tenant, seller_id: int) -> None:
    """The product's connect flow, with the seller approving on the sandbox's consent page."""
    started = ml_connect_start(tenant=tenant, started_by=DEMO_STORE.owner)
    answer = httpx.get(
        f"{started.authorization_url}&{urlencode({'sandbox_user_id': seller_id})}",
        follow_redirects=False,
        timeout=HTTP_TIMEOUT_SECONDS,
    )
    if answer.status_code != 302:
        raise CommandError(
            f"the sandbox's consent page answered {answer.status_code}: {answer.text[:200]}"
        )
    query = parse_qs(urlsplit(answer.headers["location"]).query)
    ml_connect_complete(callback_data={key: values[0] for key, values in query.items()})


def _sync(tenant: Tenant, seller_id: int, *, on_progress: ProgressBar, wait: float) -> SyncOutcome:
    """A full initial sync of the account, once the one the connection queued (if a worker has
    started it) has let go of the account."""
    deadline = time.monotonic() + wait
    while True:
        try:
            return ml_sync_initial(
                tenant=tenant, ml_user_id=seller_id, full=True, on_progress=on_progress
            )
        except SyncAlreadyRunning:
            if time.monotonic() > deadline:
                raise CommandError(
                    "the demo store's initial sync is still running in a worker; its progress "
                    "shows on the store's Sync page"
                ) from None
            time.sleep(1)
