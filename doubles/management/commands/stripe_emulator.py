"""``stripe_emulator``: serve the local fake Stripe API (doubles.stripe) until Ctrl-C.

Defaults come from the settings the app itself uses: the port of ``STRIPE_API_BASE`` and the
first ``STRIPE_WEBHOOK_SECRET``, so ``make dev`` plus this command need no flags. Prints the URL
on one line, then one line per request.
"""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings

from doubles.harness import ServeDoubleCommand
from doubles.stripe import EmulatorConfig, StripeEmulator
from doubles.stripe.config import DEFAULT_API_VERSION

DEFAULT_PORT = 12111  # stripe-mock's port, which the SDK's own tests use
DEFAULT_WEBHOOK_SECRET = "whsec_test"  # noqa: S105 - a test signing secret
LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")


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


class Command(ServeDoubleCommand[StripeEmulator]):
    help = "Serve the Stripe emulator (a stateful fake Stripe API with webhooks and test clock)."
    double = "Stripe emulator"

    def api_bases(self) -> dict[str, str]:
        return {"STRIPE_API_BASE": settings.STRIPE_API_BASE}

    def default_port(self) -> int:
        return default_port()

    def add_double_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--webhook-url", default=default_webhook_url())
        parser.add_argument("--webhook-secret", default=default_webhook_secret())
        parser.add_argument("--no-webhooks", action="store_true", help="send no webhooks")
        parser.add_argument("--seed", type=int, default=1, help="ids and faults are seeded")
        parser.add_argument(
            "--retry-scale", type=float, default=1.0, help="webhook retry delays x this"
        )
        parser.add_argument("--api-version", default=DEFAULT_API_VERSION)
        parser.add_argument("--quiet", action="store_true", help="do not print each request")

    def server(self, options: dict[str, Any]) -> StripeEmulator:
        config = EmulatorConfig(
            webhook_url=None if options["no_webhooks"] else options["webhook_url"],
            webhook_secret=options["webhook_secret"],
            retry_scale=options["retry_scale"],
            seed=options["seed"],
            api_version=options["api_version"],
        )
        return StripeEmulator(
            config,
            options["host"],
            options["port"],
            request_log=None if options["quiet"] else self.request_line,
        )

    def banner(self, server: StripeEmulator) -> str:
        return f"Stripe emulator on {server.url} webhooks: {server.config.webhook_url or 'off'}"
