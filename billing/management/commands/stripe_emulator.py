"""``stripe_emulator``: serve the local fake Stripe API (billing.emulator) until Ctrl-C.

Defaults come from the settings the app itself uses: the port of ``STRIPE_API_BASE`` and the
first ``STRIPE_WEBHOOK_SECRET``, so ``make dev`` plus this command need no flags. Prints the URL
on one line, then one line per request.
"""

from __future__ import annotations

import signal
import time
from argparse import ArgumentParser
from types import FrameType
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from billing.emulator import EmulatorConfig, StripeEmulator
from billing.emulator.config import DEFAULT_API_VERSION
from peepers.doubles import double_refusal

DEFAULT_PORT = 12111  # stripe-mock's port, which the SDK's own tests use
DEFAULT_WEBHOOK_SECRET = "whsec_test"  # noqa: S105 - a test signing secret
LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")


def _stop(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def default_port() -> int:
    parsed = urlsplit(str(getattr(settings, "STRIPE_API_BASE", "") or ""))
    if parsed.hostname in LOCAL_HOSTS and parsed.port:
        return parsed.port
    return int(getattr(settings, "STRIPE_EMULATOR_PORT", DEFAULT_PORT))


def default_webhook_secret() -> str:
    secrets = getattr(settings, "STRIPE_WEBHOOK_SECRET", None)
    if isinstance(secrets, str):
        return secrets or DEFAULT_WEBHOOK_SECRET
    if isinstance(secrets, list | tuple) and secrets:
        return str(secrets[0])
    return DEFAULT_WEBHOOK_SECRET


def default_webhook_url() -> str:
    domain = getattr(settings, "PEEPERS_BASE_DOMAIN", "localhost")
    port = getattr(settings, "PORT", 8000)
    return f"http://{domain}:{port}/api/webhook/stripe"


class Command(BaseCommand):
    help = "Serve the Stripe emulator (a stateful fake Stripe API with webhooks and test clock)."
    requires_system_checks: list[str] = []  # needs no database; starts in any state

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=default_port())
        parser.add_argument("--webhook-url", default=default_webhook_url())
        parser.add_argument("--webhook-secret", default=default_webhook_secret())
        parser.add_argument("--no-webhooks", action="store_true", help="send no webhooks")
        parser.add_argument("--seed", type=int, default=1, help="ids and faults are seeded")
        parser.add_argument(
            "--retry-scale", type=float, default=1.0, help="webhook retry delays x this"
        )
        parser.add_argument("--api-version", default=DEFAULT_API_VERSION)
        parser.add_argument("--quiet", action="store_true", help="do not print each request")

    def handle(self, *args: Any, **options: Any) -> None:
        refusal = double_refusal(
            double="Stripe emulator",
            api_bases={"STRIPE_API_BASE": settings.STRIPE_API_BASE},
            bind_host=options["host"],
        )
        if refusal:
            raise CommandError(refusal)
        config = EmulatorConfig(
            webhook_url=None if options["no_webhooks"] else options["webhook_url"],
            webhook_secret=options["webhook_secret"],
            retry_scale=options["retry_scale"],
            seed=options["seed"],
            api_version=options["api_version"],
        )
        emulator = StripeEmulator(
            config,
            options["host"],
            options["port"],
            request_log=None if options["quiet"] else self._log_request,
        )
        try:
            emulator.start()
        except OSError as exc:
            raise CommandError(
                f"cannot serve on {options['host']}:{options['port']}: {exc}"
            ) from exc
        webhooks = config.webhook_url or "off"
        self.stdout.write(f"Stripe emulator on {emulator.url} webhooks: {webhooks}")
        self.stdout.flush()
        # Process managers stop with SIGTERM, and a shell's background job ignores SIGINT:
        # both end the way Ctrl-C does.
        signal.signal(signal.SIGTERM, _stop)
        signal.signal(signal.SIGINT, _stop)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            self.stdout.write("Stripe emulator stopping")
        finally:
            emulator.stop()

    def _log_request(self, line: str) -> None:
        self.stdout.write(line)
        self.stdout.flush()
