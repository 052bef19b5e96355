"""``capacity_analyze``: growth from the daily snapshots, and when a limit will be hit.

A least-squares line through each series of the last ``HISTORY_DAYS`` of ``DailySnapshot``
(written by ``process_analytics``) gives its growth per day; from the latest value, that growth
says how many days are left before the series reaches its limit: the free disk under
PostgreSQL's data directory (when on this machine) and BACKUP_DIR, a schema count for one
PostgreSQL server, the ML API budget per day. A limit within ``WARN_DAYS`` fails the run,
which opens an incident.
"""

from __future__ import annotations

import shutil
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import redis
from django.conf import settings
from django.db import DatabaseError, connection, transaction

from core.tasks import queue_depths
from operations.maintenance.errors import MaintenanceJobFailed
from operations.maintenance.models import DailySnapshot

HISTORY_DAYS = 90
WARN_DAYS = 90
# Past a few thousand schemas on one server, migrations, pg_dump and the catalog caches slow
# down markedly: time to move to Citus schema-based sharding (docs/scale-out).
SCHEMA_COUNT_LIMIT = 5000


@dataclass(frozen=True)
class Projection:
    metric: str
    points: int
    current: float | None
    growth_per_day: float | None
    limit: float | None
    days_to_limit: float | None
    limit_on: date | None
    note: str = ""

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["limit_on"] = self.limit_on.isoformat() if self.limit_on else None
        return data


def linear_fit(points: list[tuple[float, float]]) -> tuple[float, float]:
    """Least-squares ``(slope, intercept)`` of ``y = slope * x + intercept``."""
    if len({x for x, _ in points}) < 2:
        raise ValueError("a line needs at least two distinct x values")
    n = len(points)
    mean_x = sum(x for x, _ in points) / n
    mean_y = sum(y for _, y in points) / n
    sxx = sum((x - mean_x) ** 2 for x, _ in points)
    sxy = sum((x - mean_x) * (y - mean_y) for x, y in points)
    slope = sxy / sxx
    return slope, mean_y - slope * mean_x


def project(
    *, metric: str, series: list[tuple[date, float]], limit: float | None, note: str = ""
) -> Projection:
    """Growth per day of ``series`` and, from its latest value, when it reaches ``limit``
    (``days_to_limit`` 0 when it already has; None when it does not grow or has no limit)."""
    series = sorted(series)
    if len(series) < 2:
        current = series[-1][1] if series else None
        return Projection(
            metric,
            len(series),
            current,
            None,
            limit,
            None,
            None,
            note or "not enough history: needs two days of snapshots",
        )
    first = series[0][0]
    slope, _intercept = linear_fit([(float((d - first).days), v) for d, v in series])
    last_day, current = series[-1]
    days: float | None = None
    on: date | None = None
    if limit is not None:
        if current >= limit:
            days, on = 0.0, last_day
        elif slope > 0:
            days = (limit - current) / slope
            on = last_day + timedelta(days=int(days))
    return Projection(metric, len(series), current, slope, limit, days, on, note)


def _disk_free(path: Path) -> int:
    while not path.exists() and path != path.parent:
        path = path.parent
    return shutil.disk_usage(path).free


def _database_directory() -> Path | None:
    """PostgreSQL's data directory when it is on this machine (the embedded server, or a
    server on the same host that lets us read the setting); None otherwise."""
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SHOW data_directory")
            row = cursor.fetchone()
    except DatabaseError:
        return None
    path = Path(str(row[0])) if row else None
    return path if path is not None and path.exists() else None


def _queue_depths_now() -> dict[str, int]:
    depths = queue_depths()
    if depths is None:
        raise redis.ConnectionError("the broker did not answer: queue depths unknown")
    return depths


def capacity_analyze(*, now: datetime) -> dict[str, Any]:
    """The report; raises MaintenanceJobFailed (report attached) when a limit is near."""
    since = (now - timedelta(days=HISTORY_DAYS)).date()
    snapshots = list(DailySnapshot.objects.filter(day__gte=since).order_by("day"))

    def series(name: str) -> list[tuple[date, float]]:
        return [(s.day, float(getattr(s, name))) for s in snapshots]

    data_dir = _database_directory()
    data_free = _disk_free(data_dir) if data_dir is not None else None
    backup_free = _disk_free(Path(settings.BACKUP_DIR))
    latest = snapshots[-1] if snapshots else None
    database_limit = (
        latest.database_bytes + data_free if latest is not None and data_free is not None else None
    )
    backup_limit = latest.backup_bytes + backup_free if latest is not None else None
    api_budget = settings.ML_RATE_LIMIT_PER_MINUTE * 24 * 60 * settings.ML_RATE_LIMIT_TARGET
    projections = [
        project(metric="tenants", series=series("tenants_total"), limit=None),
        project(metric="schemas", series=series("schema_count"), limit=SCHEMA_COUNT_LIMIT),
        project(metric="rows", series=series("rows_estimate"), limit=None),
        project(
            metric="database_bytes",
            series=series("database_bytes"),
            limit=database_limit,
            note="" if data_dir else "the database's disk is not visible from here: no limit",
        ),
        project(metric="backup_bytes", series=series("backup_bytes"), limit=backup_limit),
        project(metric="ml_api_calls_per_day", series=series("ml_api_calls"), limit=api_budget),
        project(metric="ml_notifications_per_day", series=series("ml_notifications"), limit=None),
        project(metric="stripe_events_per_day", series=series("stripe_events"), limit=None),
    ]
    near = [p for p in projections if p.days_to_limit is not None and p.days_to_limit <= WARN_DAYS]
    report = {
        "snapshots": len(snapshots),
        "disk_free_bytes": {"data_dir": data_free, "backup_dir": backup_free},
        "queue_depths": _queue_depths_now(),
        "projections": [p.as_dict() for p in projections],
        "near_limits": [p.metric for p in near],
    }
    if near:
        raise MaintenanceJobFailed(
            "capacity: "
            + ", ".join(
                f"{p.metric} reaches its limit in {p.days_to_limit:.0f} days" for p in near
            ),
            summary=report,
        )
    return report
