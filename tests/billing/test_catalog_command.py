"""``sync_stripe_catalog --wait``, as ``make dev`` runs it while the Stripe emulator starts."""

from __future__ import annotations

import logging
import threading
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from billing.models import Plan
from doubles.stripe import EmulatorConfig, StripeEmulator
from tests.billing.support import SECRET_KEY, WEBHOOK_SECRET
from tests.support.processes import free_port

pytestmark = pytest.mark.django_db


@pytest.fixture
def late_emulator(settings):
    """An emulator that starts listening a second after the test begins."""
    port = free_port()
    settings.STRIPE_API_BASE = f"http://127.0.0.1:{port}"
    settings.STRIPE_SECRET_KEY = SECRET_KEY
    settings.STRIPE_MAX_NETWORK_RETRIES = 0
    Plan.objects.update(stripe_product_id="", stripe_price_id="", stripe_price_amount=None)
    emulator = StripeEmulator(EmulatorConfig(webhook_secret=WEBHOOK_SECRET), port=port)
    timer = threading.Timer(1.0, emulator.start)
    timer.start()
    try:
        yield emulator
    finally:
        timer.join()
        emulator.stop()


def test_the_catalogue_waits_quietly_for_an_emulator_still_starting(late_emulator, caplog):
    out = StringIO()
    with caplog.at_level(logging.WARNING):
        call_command("sync_stripe_catalog", wait=30, stdout=out)

    assert "catalogue in sync" in out.getvalue()
    assert not Plan.objects.filter(is_public=True, stripe_price_id="").exists()
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []


def test_without_waiting_a_stripe_that_does_not_answer_is_an_error(settings):
    settings.STRIPE_API_BASE = f"http://127.0.0.1:{free_port()}"
    settings.STRIPE_MAX_NETWORK_RETRIES = 0

    with pytest.raises(CommandError):
        call_command("sync_stripe_catalog", stdout=StringIO())
