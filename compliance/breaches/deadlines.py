"""The clocks of a breach case: the legal notification deadline and the runbook's phase targets.

Legal deadline (LGPD Art. 48; Res. CD/ANPD 15/2024 art. 6 for the ANPD and art. 9 for data
subjects): **3 business days counted from the day the controller became aware** that the incident
affected personal data. Counting follows the ANPD's own rule for its deadlines (Res. CD/ANPD
1/2021 arts. 8 and 12, which mirror Lei 9.784/1999 art. 66): the day of awareness is excluded,
the day the deadline falls on is included, and only business days count. Business days are
Monday-Friday that are not Brazilian *national* holidays. Dates are the local dates in
``America/Sao_Paulo`` (an awareness at 01:00 UTC is the previous evening in Brazil). The deadline
is the **end of the third business day, 23:59:59 America/Sao_Paulo**: the regulation counts days,
not hours, so the whole last day is available.

Holidays come from ``holidays`` (PyPI, "Open World Holidays Framework", MIT, released monthly,
typed, no network or data files; it tracks law changes such as Lei 14.759/2023, which made
20 November a national holiday from 2024). We use only its ``public`` category for Brazil. It
files Carnaval, Ash Wednesday, Corpus Christi and Christmas/New Year's Eve under ``optional``
(federal *ponto facultativo*, not holidays by law), so those days **count as business days**
here: that is the conservative reading (the deadline never lands later than the law allows).
State and municipal holidays (including Brasília's, where the ANPD sits) are ignored for the same
reason. Good Friday is in ``public`` (the federal calendar lists it as a national holiday).
Alternatives considered: ``workalendar`` (unmaintained since 2023) and hand-written tables (need
Easter arithmetic and yearly upkeep).

Not applied: the doubled deadline for small processing agents (Res. CD/ANPD 2/2022), which does
not cover high-risk processing; Peepers holds financial and authentication data.

Phase targets come from the runbook's Data Breach Response: containment within 1 h of awareness,
assessment by 4 h, notification by 24 h (an internal target, stricter than the legal one), and
recovery by 72 h.
"""

from __future__ import annotations

import functools
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays

BRAZIL = ZoneInfo("America/Sao_Paulo")
NOTIFICATION_BUSINESS_DAYS = 3
END_OF_DAY = time(23, 59, 59)

# Runbook "Data Breach Response": each phase is due this long after awareness.
PHASE_TARGETS: dict[str, timedelta] = {
    "containment": timedelta(hours=1),
    "assessment": timedelta(hours=4),
    "notification": timedelta(hours=24),
    "recovery": timedelta(hours=72),
}


@functools.cache
def _national_holidays(year: int) -> holidays.HolidayBase:
    return holidays.country_holidays("BR", years=year, categories=("public",))


def holiday_name(day: date) -> str | None:
    """The national holiday on ``day``, if any."""
    return _national_holidays(day.year).get(day)


def is_business_day(day: date) -> bool:
    return day.weekday() < 5 and holiday_name(day) is None


def local_date(moment: datetime) -> date:
    """The date in Brazil at ``moment``; naive datetimes are refused (they have no zone)."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("breach clocks need an aware datetime")
    return moment.astimezone(BRAZIL).date()


def add_business_days(day: date, count: int) -> date:
    """The ``count``-th business day after ``day`` (``day`` itself never counts)."""
    if count < 1:
        raise ValueError("count business days from 1")
    current = day
    remaining = count
    while remaining:
        current += timedelta(days=1)
        if is_business_day(current):
            remaining -= 1
    return current


def end_of_local_day(day: date) -> datetime:
    return datetime.combine(day, END_OF_DAY, tzinfo=BRAZIL)


def notification_deadline(awareness_at: datetime) -> datetime:
    """When the ANPD and the data subjects must have been told (see the module docstring)."""
    last_day = add_business_days(local_date(awareness_at), NOTIFICATION_BUSINESS_DAYS)
    return end_of_local_day(last_day)


def phase_deadlines(awareness_at: datetime) -> dict[str, datetime]:
    """The runbook's target for finishing each phase."""
    local_date(awareness_at)  # refuses naive datetimes
    return {phase: awareness_at + offset for phase, offset in PHASE_TARGETS.items()}


def business_days_left(*, now: datetime, deadline: datetime) -> int:
    """Business days after today (in Brazil) up to and including the deadline's day."""
    today, last = local_date(now), local_date(deadline)
    days = 0
    current = today
    while current < last:
        current += timedelta(days=1)
        if is_business_day(current):
            days += 1
    return days


def countdown(*, now: datetime, deadline: datetime) -> str:
    """A short human clock for staff: "2 business days left", "last day: 5 h left", "overdue"."""
    if now > deadline:
        return f"overdue by {_duration(now - deadline)}"
    days = business_days_left(now=now, deadline=deadline)
    if days == 0:
        return f"last day: {_duration(deadline - now)} left"
    return f"{days} business day{'s' if days != 1 else ''} left"


def hours_countdown(*, now: datetime, deadline: datetime) -> str:
    """The clock of a phase target, in hours and minutes."""
    if now > deadline:
        return f"overdue by {_duration(now - deadline)}"
    return f"{_duration(deadline - now)} left"


def _duration(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    if minutes >= 48 * 60:
        return f"{minutes // (24 * 60)} d"
    if minutes >= 60:
        return f"{minutes // 60} h"
    return f"{minutes} min"
