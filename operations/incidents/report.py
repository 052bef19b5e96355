"""The monthly SLA report: MTTA, MTTR and breaches per priority."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from django.utils import timezone

from operations.incidents.models import SLAS, Incident, Priority


@dataclass(frozen=True)
class PriorityReport:
    priority: str
    incidents: int
    acknowledged: int
    resolved: int
    mtta_seconds: float | None  # mean time to acknowledge, over acknowledged incidents
    mttr_seconds: float | None  # mean time to resolve, over resolved incidents
    response_breaches: int  # acknowledged late, or still not acknowledged past the SLA
    resolution_breaches: int


@dataclass(frozen=True)
class SLAReport:
    month: str
    priorities: tuple[PriorityReport, ...]

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def month_bounds(month: str) -> tuple[datetime, datetime]:
    """``"2026-11"`` → [1 Nov 00:00 UTC, 1 Dec 00:00 UTC)."""
    first = date.fromisoformat(f"{month}-01")
    after = date(first.year + first.month // 12, first.month % 12 + 1, 1)
    return (
        datetime(first.year, first.month, 1, tzinfo=UTC),
        datetime(after.year, after.month, 1, tzinfo=UTC),
    )


def sla_report(*, month: str, now: datetime | None = None) -> SLAReport:
    """Incidents triggered in ``month`` (UTC), grouped by priority."""
    now = now or timezone.now()
    start, end = month_bounds(month)
    incidents = list(Incident.objects.filter(triggered_at__gte=start, triggered_at__lt=end))
    rows = []
    for priority in Priority:
        sla = SLAS[priority]
        mine = [i for i in incidents if i.priority == priority]
        to_ack = [i.acknowledged_at - i.triggered_at for i in mine if i.acknowledged_at]
        to_resolve = [i.resolved_at - i.triggered_at for i in mine if i.resolved_at]
        rows.append(
            PriorityReport(
                priority=priority.value,
                incidents=len(mine),
                acknowledged=len(to_ack),
                resolved=len(to_resolve),
                mtta_seconds=_mean(to_ack),
                mttr_seconds=_mean(to_resolve),
                response_breaches=sum(
                    (i.acknowledged_at or now) - i.triggered_at > sla.respond for i in mine
                ),
                resolution_breaches=sum(
                    (i.resolved_at or now) - i.triggered_at > sla.resolve for i in mine
                ),
            )
        )
    return SLAReport(month=month, priorities=tuple(rows))


def _mean(spans: list[timedelta]) -> float | None:
    if not spans:
        return None
    return sum(span.total_seconds() for span in spans) / len(spans)
