"""``analyze_query_performance``: slow statements, tables missing an index, unused indexes."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.management.base import CommandError, CommandParser

from operations.maintenance.commandline import JobCommand


class Command(JobCommand):
    help = "Report slow statements and index problems from PostgreSQL's statistics."
    job = "analyze_query_performance"

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument("--limit", type=int, default=20, help="Rows per section (1-500).")

    def job_options(self, options: Mapping[str, Any]) -> dict[str, Any]:
        if not 1 <= options["limit"] <= 500:
            raise CommandError("--limit must be between 1 and 500")
        return {"limit": options["limit"]}

    def render(self, summary: Mapping[str, Any]) -> list[str]:
        lines = [
            f"pg_stat_statements: {summary.get('pg_stat_statements')}",
            f"statistics since: {summary.get('statistics_since') or 'server start'}",
            f"findings: {len(summary.get('findings', []))}",
        ]
        lines += [f"  [{f['kind']}] {f['detail']}" for f in summary.get("findings", [])]
        lines.append("most rows read by sequential scans:")
        lines += [
            f"  {t['schema']}.{t['table']}: {t['seq_scan']} seq scans, {t['seq_tup_read']} rows "
            f"read, {t['idx_scan']} index scans, {t['live_rows']} live rows"
            for t in summary.get("table_scans", [])[:10]
        ]
        return lines
