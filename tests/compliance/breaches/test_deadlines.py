"""The ANPD clock: 3 business days after awareness, in Brazil's dates, national holidays off."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from compliance.breaches import deadlines

SP = ZoneInfo("America/Sao_Paulo")


def sp(*args):
    return datetime(*args, tzinfo=SP)


def utc(*args):
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(
    ("awareness", "last_day"),
    [
        pytest.param(sp(2025, 6, 2, 10), date(2025, 6, 5), id="monday-plain-week"),
        pytest.param(sp(2025, 6, 4, 10), date(2025, 6, 9), id="wednesday-over-weekend"),
        pytest.param(sp(2025, 6, 6, 18), date(2025, 6, 11), id="friday-over-weekend"),
        pytest.param(sp(2025, 6, 7, 9), date(2025, 6, 11), id="saturday-counts-from-monday"),
        pytest.param(sp(2025, 6, 8, 23, 59), date(2025, 6, 11), id="sunday-night"),
        # 02:00 UTC on Tuesday is still Monday 23:00 in São Paulo; 03:00 UTC is Tuesday.
        pytest.param(utc(2025, 6, 3, 2), date(2025, 6, 5), id="utc-night-is-previous-day"),
        pytest.param(utc(2025, 6, 3, 3), date(2025, 6, 6), id="utc-03h-is-next-day"),
        # Carnaval (3-4 Mar 2025) and Ash Wednesday are ponto facultativo, not holidays.
        pytest.param(sp(2025, 2, 28, 12), date(2025, 3, 5), id="carnaval-counts"),
        pytest.param(sp(2025, 4, 17, 12), date(2025, 4, 24), id="good-friday-and-tiradentes"),
        pytest.param(sp(2026, 9, 4, 12), date(2026, 9, 10), id="independence-day-monday"),
        pytest.param(sp(2025, 11, 19, 12), date(2025, 11, 25), id="black-awareness-day"),
        pytest.param(sp(2023, 11, 17, 12), date(2023, 11, 22), id="20-nov-before-lei-14759"),
        pytest.param(sp(2025, 12, 23, 12), date(2025, 12, 29), id="christmas-eve-counts"),
        pytest.param(sp(2025, 12, 30, 12), date(2026, 1, 5), id="new-year-across-years"),
        pytest.param(sp(2025, 12, 31, 23, 30), date(2026, 1, 6), id="new-years-eve-late"),
        pytest.param(sp(2025, 4, 21, 8), date(2025, 4, 24), id="aware-on-a-holiday"),
    ],
)
def test_notification_deadline_is_end_of_third_business_day(awareness, last_day):
    deadline = deadlines.notification_deadline(awareness)

    assert deadline == datetime.combine(last_day, deadlines.END_OF_DAY, tzinfo=SP)
    assert deadline.astimezone(SP).date() == last_day


def test_a_2018_daylight_saving_deadline_is_in_the_summer_offset():
    # Aware Friday 2 Nov 2018 (All Souls) 23:30 -03; DST began on Sunday 4 Nov 2018 (-02).
    awareness = utc(2018, 11, 3, 2, 30)

    deadline = deadlines.notification_deadline(awareness)

    assert deadline.astimezone(SP).date() == date(2018, 11, 7)
    assert deadline.utcoffset() == timedelta(hours=-2)
    assert deadline.astimezone(UTC) == utc(2018, 11, 8, 1, 59, 59)


def test_since_2019_sao_paulo_is_always_minus_three():
    for month in range(1, 13):
        assert sp(2025, month, 15, 12).utcoffset() == timedelta(hours=-3)


def test_holidays_follow_the_library_public_category_only():
    assert deadlines.holiday_name(date(2025, 4, 21)) == "Tiradentes' Day"
    assert deadlines.holiday_name(date(2025, 3, 4)) is None  # Carnaval: optional, not public
    assert deadlines.holiday_name(date(2025, 6, 19)) is None  # Corpus Christi: optional
    assert not deadlines.is_business_day(date(2025, 12, 25))
    assert deadlines.is_business_day(date(2025, 12, 24))


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError, match="aware"):
        deadlines.notification_deadline(datetime(2025, 6, 2, 10))


def test_phase_targets_follow_the_runbook():
    awareness = sp(2025, 6, 2, 10)

    targets = deadlines.phase_deadlines(awareness)

    assert {k: v - awareness for k, v in targets.items()} == {
        "containment": timedelta(hours=1),
        "assessment": timedelta(hours=4),
        "notification": timedelta(hours=24),
        "recovery": timedelta(hours=72),
    }


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (sp(2025, 6, 2, 11), "3 business days left"),
        (sp(2025, 6, 4, 11), "1 business day left"),
        (sp(2025, 6, 5, 18, 59, 59), "last day: 5 h left"),
        (sp(2025, 6, 6, 2), "overdue by 2 h"),
        (sp(2025, 6, 9, 12), "overdue by 3 d"),
    ],
)
def test_countdown_speaks_business_days(now, expected):
    deadline = deadlines.notification_deadline(sp(2025, 6, 2, 10))

    assert deadlines.countdown(now=now, deadline=deadline) == expected
