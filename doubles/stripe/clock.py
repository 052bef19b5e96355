"""The emulator's own clock and Stripe's calendar arithmetic for billing periods.

The clock starts at real time and then stands still: only ``POST /_emulator/advance`` moves it,
so a test decides exactly when a trial ends or a renewal runs (like Stripe's test clocks).
"""

from __future__ import annotations

import calendar
import time
from datetime import UTC, datetime

DAY = 86400
HOUR = 3600


class EmulatorClock:
    def __init__(self) -> None:
        self._now = int(time.time())

    def now(self) -> int:
        return self._now

    def set(self, moment: int) -> None:
        if moment < self._now:
            raise ValueError("the emulator clock never goes back")
        self._now = moment

    def reset(self) -> None:
        self._now = int(time.time())


def period_end(start: int, interval: str, interval_count: int, anchor: int) -> int:
    """The end of the period that starts at ``start``, keeping the anchor's day of month.

    A subscription anchored on the 31st renews on the last day of shorter months and returns to
    the 31st afterwards, as Stripe does; times of day are kept.
    """
    if interval == "day":
        return start + interval_count * DAY
    if interval == "week":
        return start + interval_count * 7 * DAY
    begin = datetime.fromtimestamp(start, UTC)
    anchor_day = datetime.fromtimestamp(anchor, UTC).day
    months = interval_count * (12 if interval == "year" else 1)
    index = begin.year * 12 + begin.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    day = min(anchor_day, calendar.monthrange(year, month)[1])
    return int(begin.replace(year=year, month=month, day=day).timestamp())


def iso(moment: int) -> str:
    return datetime.fromtimestamp(moment, UTC).isoformat()


def day_label(moment: int) -> str:
    """Dates as Stripe writes them in line descriptions ("after 14 Jan 2027")."""
    return datetime.fromtimestamp(moment, UTC).strftime("%d %b %Y")
