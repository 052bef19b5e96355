"""Billing tests run against the Stripe emulator over HTTP, with the app's settings pointed at it.

Fixtures here are not autouse (the emulator's own tests, ``tests/doubles/stripe/``, need no
database), but the language: English, which needs none.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from billing.catalog import stripe_catalog_sync
from billing.models import Plan
from billing.sync import entitlement_forget
from doubles.stripe import EmulatorConfig, StripeEmulator
from tenants.models import Tenant
from tests.billing.support import SECRET_KEY, WEBHOOK_SECRET, Stripe


@pytest.fixture(autouse=True)
def _english(settings) -> None:
    """Pages and messages in the source language, so assertions read the msgids (the
    Portuguese ones are checked where a test asks for pt-br)."""
    settings.LANGUAGE_CODE = "en"


@pytest.fixture(scope="session")
def stripe_emulator() -> Iterator[StripeEmulator]:
    config = EmulatorConfig(webhook_secret=WEBHOOK_SECRET, retry_scale=0.01, seed=11)
    with StripeEmulator(config) as server:
        yield server


@pytest.fixture
def stripe(stripe_emulator: StripeEmulator, settings, request) -> Iterator[Stripe]:
    """A fresh emulator the app talks to, with the plan catalogue synced into it.

    Inside the test's transaction, or with ``committed_db`` when the test asks for it.
    """
    if "committed_db" in request.fixturenames:
        request.getfixturevalue("committed_db")
    else:
        request.getfixturevalue("db")
    settings.STRIPE_API_BASE = stripe_emulator.url
    settings.STRIPE_SECRET_KEY = SECRET_KEY
    settings.STRIPE_WEBHOOK_SECRET = [WEBHOOK_SECRET]
    settings.STRIPE_MAX_NETWORK_RETRIES = 0
    settings.STRIPE_TIMEOUT_SECONDS = 5.0
    with httpx.Client(base_url=stripe_emulator.url, timeout=30) as http:
        emulator = Stripe(http=http, url=stripe_emulator.url)
        emulator.admin("reset")
        for tenant_id in Tenant.objects.values_list("pk", flat=True):
            entitlement_forget(tenant_id)
        # Ids from an earlier emulator run mean nothing to this fresh one.
        Plan.objects.update(stripe_product_id="", stripe_price_id="", stripe_price_amount=None)
        stripe_catalog_sync()
        yield emulator
        emulator.admin("webhooks", {"url": None})
        emulator.admin("faults", {"outage": False, "latency_ms": 0, "error_fraction": 0})
