"""``ml_sandbox``: serve the fake Mercado Livre API for development until Ctrl-C.

Registers one application from ``ML_CLIENT_ID``/``ML_CLIENT_SECRET``/``ML_REDIRECT_URI``
(PKCE required) and prints the URL, the sandbox sellers, the calendar and how often buyers act
on one line. ``--calendar now`` (the default) dates the data up to the moment it starts.
"""

from __future__ import annotations

from argparse import ArgumentParser
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.core.management.base import CommandError

from doubles.harness import ServeDoubleCommand
from doubles.mercadolivre import SandboxConfig, SandboxServer
from doubles.mercadolivre.errors import SandboxError

# command option -> fault setting (POST /_sandbox/faults)
FAULT_OPTIONS = {
    "rate_limit_fraction": "rate_limit_fraction",
    "quota_per_minute": "quota_per_minute",
    "error_fraction": "error_fraction",
    "latency_ms": "latency_ms",
}


class Command(ServeDoubleCommand[SandboxServer]):
    help = "Serve the Mercado Livre sandbox (a fake ML API with OAuth, data and faults)."
    double = "ML sandbox"

    def api_bases(self) -> dict[str, str]:
        return {"ML_API_BASE": settings.ML_API_BASE, "ML_AUTH_BASE": settings.ML_AUTH_BASE}

    def default_port(self) -> int:
        return int(settings.ML_SANDBOX_PORT)

    def add_double_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--sellers", type=int, default=3)
        parser.add_argument("--items", type=int, default=120, help="per seller")
        parser.add_argument("--orders", type=int, default=60, help="per seller")
        parser.add_argument("--questions", type=int, default=40, help="per seller")
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--expires-in", type=int, default=21600, help="token lifetime (s)")
        parser.add_argument(
            "--webhook-url",
            default=f"http://{settings.PEEPERS_BASE_DOMAIN}:{settings.PORT}"
            "/api/webhook/mercado-livre",
        )
        parser.add_argument("--no-notify", action="store_true", help="send no notifications")
        parser.add_argument("--auto-approve", action="store_true", help="skip the consent page")
        parser.add_argument("--rate-limit-fraction", type=float)
        parser.add_argument("--quota-per-minute", type=int)
        parser.add_argument("--error-fraction", type=float)
        parser.add_argument("--latency-ms", type=int)
        parser.add_argument("--outage", action="store_true", help="answer 503 to everything")
        parser.add_argument(
            "--calendar",
            choices=("now", "fixed"),
            default="now",
            help="now: the data ends at the start time, events are dated by the wall clock; "
            "fixed: the fixed 2026 calendar the tests replay",
        )
        parser.add_argument(
            "--live-seconds",
            type=float,
            default=float(settings.ML_SANDBOX_LIVE_SECONDS),
            help="a buyer acts every N seconds for a seller who authorized the app; 0: off",
        )

    def server(self, options: dict[str, Any]) -> SandboxServer:
        faults: dict[str, object] = {
            setting: options[option]
            for option, setting in FAULT_OPTIONS.items()
            if options[option] is not None
        }
        if options["outage"]:
            faults["outage"] = True
        if options["live_seconds"] < 0:
            raise CommandError("--live-seconds must be 0 (off) or more")
        anchor = datetime.now(UTC).replace(microsecond=0) if options["calendar"] == "now" else None
        config = SandboxConfig(
            client_id=settings.ML_CLIENT_ID,
            client_secret=settings.ML_CLIENT_SECRET,
            redirect_uris=(settings.ML_REDIRECT_URI,),
            pkce_required=True,
            sellers=options["sellers"],
            items=options["items"],
            orders=options["orders"],
            questions=options["questions"],
            seed=options["seed"],
            expires_in=options["expires_in"],
            webhook_url=None if options["no_notify"] else options["webhook_url"],
            auto_approve=options["auto_approve"],
            faults=faults,
            data_end=anchor,
            live_seconds=options["live_seconds"],
        )
        try:
            return SandboxServer(
                config,
                options["host"],
                options["port"],
                request_log=self.request_line if options["verbosity"] > 1 else None,
            )
        except SandboxError as exc:
            raise CommandError(f"invalid fault option: {exc.message}") from exc

    def banner(self, server: SandboxServer) -> str:
        sellers = ", ".join(f"{s.id} {s.nickname}" for s in server.state.sellers)
        config = server.config
        if config.data_end is None:
            calendar = "fixed calendar (2026)"
        else:
            calendar = f"data up to {config.data_end.isoformat()}"
        seconds = config.live_seconds
        live = f"a buyer acts every {seconds:g} s" if seconds > 0 else "buyers idle"
        return f"ML sandbox on {server.url} sellers: {sellers}; {calendar}; {live}"
