"""``monitor_post_deploy --minutes 15``: watch the error rate and p95 after a deploy.

Exit 0 clean, 1 on a confirmed regression, 2 when no traffic could be judged.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError

from operations.deploy import DeployCheck, Thresholds, deploy_watch

# A single check without --since looks at this much traffic (the runbook's watch window).
SINGLE_CHECK_LOOKBACK_MINUTES = 15


def _timestamp(text: str) -> float:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as exc:
        raise CommandError(f"--since: not an ISO date and time: {text!r}") from exc
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()


class Command(BaseCommand):
    help = (
        "Compare the error rate and p95 (api, dashboard, webhook) since the deploy with the "
        "hours before it, every --interval seconds for --minutes; exit 1 on a regression seen "
        "twice in a row, 2 if there was no traffic to judge."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--minutes", type=float, default=15.0, help="how long to watch")
        parser.add_argument("--interval", type=float, default=30.0, help="seconds between checks")
        parser.add_argument("--once", action="store_true", help="one check now (--minutes 0)")
        parser.add_argument(
            "--since",
            help="when the deploy began, ISO 8601 (UTC if no offset); default: now, or "
            f"{SINGLE_CHECK_LOOKBACK_MINUTES} minutes ago for a single check",
        )
        parser.add_argument("--baseline-hours", type=float, default=24.0)
        parser.add_argument(
            "--max-error-rate-increase",
            type=float,
            default=2.0,
            help="regression above this multiple of the baseline error rate (default 2)",
        )
        parser.add_argument("--error-rate-floor", type=float, default=1.0, help="percent")
        parser.add_argument(
            "--max-p95-increase",
            type=float,
            default=1.5,
            help="regression above this multiple of the baseline p95 (default 1.5)",
        )
        parser.add_argument("--p95-floor-ms", type=float, default=500.0)
        parser.add_argument(
            "--min-requests",
            type=int,
            default=50,
            help="fewer requests (or samples of a class) than this are not judged",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        minutes = 0.0 if options["once"] else options["minutes"]
        if minutes < 0 or options["interval"] <= 0:
            raise CommandError("--minutes must be >= 0 and --interval > 0")
        since = None
        if options["since"]:
            since = _timestamp(options["since"])
        elif minutes == 0:
            since = datetime.now(tz=UTC).timestamp() - SINGLE_CHECK_LOOKBACK_MINUTES * 60
        thresholds = Thresholds(
            min_requests=options["min_requests"],
            error_rate_floor=options["error_rate_floor"],
            error_rate_factor=options["max_error_rate_increase"],
            p95_floor_ms=options["p95_floor_ms"],
            p95_factor=options["max_p95_increase"],
        )

        def report(check: DeployCheck) -> None:
            self.stdout.write(check.line())
            self.stdout.flush()

        try:
            result = deploy_watch(
                minutes=minutes,
                interval=options["interval"],
                baseline_hours=options["baseline_hours"],
                thresholds=thresholds,
                since=since,
                report=report,
            )
        except DatabaseError as exc:
            raise CommandError(f"cannot read the baseline rollups: {exc}") from exc
        messages = {
            "clean": f"no regression in {len(result.checks)} check(s)",
            "regression": "REGRESSION confirmed: roll back (docs/deploy.md)",
            "no data": "no data: no traffic to judge, which is not a pass",
        }
        self.stdout.write(messages[result.outcome])
        if result.exit_code:
            raise SystemExit(result.exit_code)
