"""``incident_report --month 2026-11 [--json]``: MTTA, MTTR and SLA breaches per priority."""

from __future__ import annotations

import json
import re
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from operations.incidents.report import sla_report


def _minutes(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds / 60:.1f} min"


class Command(BaseCommand):
    help = "Monthly incident SLA report: MTTA, MTTR and breaches per priority."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--month", default=timezone.now().strftime("%Y-%m"), help="YYYY-MM")
        parser.add_argument("--json", action="store_true", help="print JSON")

    def handle(self, *args: Any, **options: Any) -> None:
        month = options["month"]
        if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", month):
            raise CommandError(f"--month is YYYY-MM, not {month!r}")
        report = sla_report(month=month)
        if options["json"]:
            self.stdout.write(json.dumps(report.as_dict(), indent=2))
            return
        self.stdout.write(f"Incident SLA report for {month} (UTC)")
        self.stdout.write(
            f"{'prio':<5}{'count':>6}{'acked':>6}{'resolved':>9}{'MTTA':>12}{'MTTR':>12}"
            f"{'resp.breach':>13}{'resol.breach':>14}"
        )
        for row in report.priorities:
            self.stdout.write(
                f"{row.priority:<5}{row.incidents:>6}{row.acknowledged:>6}{row.resolved:>9}"
                f"{_minutes(row.mtta_seconds):>12}{_minutes(row.mttr_seconds):>12}"
                f"{row.response_breaches:>13}{row.resolution_breaches:>14}"
            )
