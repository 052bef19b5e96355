"""``process_analytics``: the day's business snapshot (tenants, MRR/ARR, API calls, rows)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from django.core.management.base import CommandError, CommandParser

from core.money import brl
from operations.maintenance.commandline import JobCommand


class Command(JobCommand):
    help = "Store the daily snapshot of business numbers (default: yesterday, UTC); re-runnable."
    job = "process_analytics"

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument("--day", help="UTC day, YYYY-MM-DD (default: yesterday).")

    def job_options(self, options: Mapping[str, Any]) -> dict[str, Any]:
        if not options.get("day"):
            return {}
        try:
            return {"day": date.fromisoformat(options["day"])}
        except ValueError:
            raise CommandError(f"--day must be YYYY-MM-DD, not {options['day']!r}") from None

    def render(self, summary: Mapping[str, Any]) -> list[str]:
        return [
            f"day: {summary.get('day')}",
            f"stores: {summary.get('tenants_total')}",
            f"MRR: {brl(summary.get('mrr_cents', 0))}  ARR: {brl(summary.get('arr_cents', 0))}"
            f"  past due: {brl(summary.get('past_due_mrr_cents', 0))}",
            f"ML API calls: {summary.get('ml_api_calls')}",
        ]
