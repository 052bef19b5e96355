"""``capacity_analyze``: growth per day from the daily snapshots, and when limits are hit."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from operations.maintenance.commandline import JobCommand


class Command(JobCommand):
    help = "Project tenants, schemas, rows, disk and API use to the day each limit is reached."
    job = "capacity_analyze"

    def render(self, summary: Mapping[str, Any]) -> list[str]:
        lines = [
            f"snapshots used: {summary.get('snapshots')}",
            f"disk free: {summary.get('disk_free_bytes')}",
            f"queue depths now: {summary.get('queue_depths')}",
        ]
        for p in summary.get("projections", []):
            growth = p["growth_per_day"]
            text = f"{p['metric']}: now {p['current']}"
            text += f", {growth:+.1f}/day" if growth is not None else ""
            if p["limit"] is not None:
                text += f", limit {p['limit']:.0f}"
                text += (
                    f", reached in {p['days_to_limit']:.0f} days ({p['limit_on']})"
                    if p["days_to_limit"] is not None
                    else ", not approaching it"
                )
            if p["note"]:
                text += f" ({p['note']})"
            lines.append(text)
        if summary.get("near_limits"):
            lines.append(f"NEAR A LIMIT: {', '.join(summary['near_limits'])}")
        return lines
