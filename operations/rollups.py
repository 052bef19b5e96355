"""Copying finished minutes of the Redis metrics into PostgreSQL, idempotently.

Redis keeps three days of per-minute hashes for the request path; PostgreSQL keeps the history
the KPI table and monthly reports read. One statement per minute, ``ON CONFLICT DO UPDATE`` with
the Redis value (a minute copied twice gives the same rows), never one write per request.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from django.db import connection

from core.redis import redis_client
from operations.models import MetricMinute

ROLLUP_MINUTES = 5  # each run copies the last few finished minutes: a missed run heals itself


def metrics_rollup(*, now: float | None = None, minutes: int = ROLLUP_MINUTES) -> int:
    """Copy the ``minutes`` finished minutes before ``now``; how many fields were written."""
    end = time.time() if now is None else now
    client = redis_client()
    table = connection.ops.quote_name(MetricMinute._meta.db_table)
    written = 0
    for offset in range(1, minutes + 1):
        at = end - 60 * offset
        stamp = time.strftime("%Y%m%d%H%M", time.gmtime(at))
        minute = datetime.strptime(stamp, "%Y%m%d%H%M").replace(tzinfo=UTC)
        rows: list[tuple[str, datetime, str, float]] = []
        for key in client.scan_iter(f"metrics:*:{stamp}", count=500):
            name = _text(key).split(":")[1]
            for field, value in client.hgetall(key).items():
                rows.append((name, minute, _text(field)[:300], float(value)))
        if not rows:
            continue
        with connection.cursor() as cursor:
            cursor.executemany(
                f"INSERT INTO {table} (name, minute, field, value) VALUES (%s, %s, %s, %s) "  # noqa: S608
                "ON CONFLICT (name, minute, field) DO UPDATE SET value = EXCLUDED.value",
                rows,
            )
        written += len(rows)
    return written


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def window(minutes: int, *, now: datetime | None = None) -> tuple[datetime, datetime]:
    end = now or datetime.now(tz=UTC)
    return end - timedelta(minutes=minutes), end
