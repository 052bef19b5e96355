"""One emulator per test module, reset before each test; the SDK and admin clients on it."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
import stripe

from doubles.stripe import EmulatorConfig, StripeEmulator

from .flows import WEBHOOK_SECRET, Admin, Receiver, stripe_client


@pytest.fixture(scope="module")
def emulator() -> Iterator[StripeEmulator]:
    config = EmulatorConfig(webhook_secret=WEBHOOK_SECRET, retry_scale=0.01, seed=7)
    with StripeEmulator(config) as server:
        yield server


@pytest.fixture(scope="module")
def _http(emulator: StripeEmulator) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=emulator.url, timeout=10) as client:
        yield client


@pytest.fixture
def admin(_http: httpx.Client) -> Admin:
    """The admin client on a freshly reset emulator (no objects, real-time clock, no faults)."""
    admin = Admin(_http)
    admin.post("reset")
    return admin


@pytest.fixture
def client(emulator: StripeEmulator, admin: Admin) -> stripe.StripeClient:
    return stripe_client(emulator.url)


@pytest.fixture
def http(_http: httpx.Client, admin: Admin) -> httpx.Client:
    """Plain HTTP on the emulator: hosted pages and raw API calls."""
    return _http


@pytest.fixture
def receiver(admin: Admin) -> Iterator[Receiver]:
    """A webhook endpoint the emulator sends to for the length of the test."""
    receiver = Receiver()
    receiver.start()
    admin.post("webhooks", {"url": receiver.url, "secret": WEBHOOK_SECRET})
    try:
        yield receiver
    finally:
        admin.post(
            "webhooks", {"url": None, "duplicate": False, "out_of_order": False, "paused": False}
        )
        receiver.stop()
