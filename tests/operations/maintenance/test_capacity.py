"""capacity_analyze: the least-squares growth and the day a limit is reached."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from core.tasks import QUEUES
from operations.maintenance.capacity import capacity_analyze, linear_fit, project
from operations.maintenance.errors import MaintenanceJobFailed
from operations.maintenance.models import DailySnapshot

START = date(2026, 3, 1)


def _series(values: list[float]) -> list[tuple[date, float]]:
    return [(START + timedelta(days=i), v) for i, v in enumerate(values)]


def test_a_line_through_exact_points_is_recovered() -> None:
    slope, intercept = linear_fit([(0, 10), (1, 12), (2, 14), (3, 16)])

    assert slope == pytest.approx(2.0)
    assert intercept == pytest.approx(10.0)


def test_noisy_points_give_the_least_squares_slope() -> None:
    slope, intercept = linear_fit([(0, 1), (1, 3), (2, 2), (3, 5)])

    assert slope == pytest.approx(1.1)
    assert intercept == pytest.approx(1.1)


def test_days_to_limit_count_from_the_latest_value() -> None:
    projection = project(metric="schemas", series=_series([10, 12, 14, 16, 18]), limit=30)

    assert projection.growth_per_day == pytest.approx(2.0)
    assert projection.current == 18
    assert projection.days_to_limit == pytest.approx(6.0)
    assert projection.limit_on == START + timedelta(days=4 + 6)


def test_a_limit_already_reached_is_zero_days_away() -> None:
    projection = project(metric="schemas", series=_series([28, 31]), limit=30)

    assert projection.days_to_limit == 0.0


def test_a_flat_or_shrinking_series_never_reaches_its_limit() -> None:
    assert project(metric="x", series=_series([5, 5, 5]), limit=10).days_to_limit is None
    assert project(metric="x", series=_series([9, 7, 5]), limit=10).days_to_limit is None


def test_one_day_of_history_is_not_enough() -> None:
    projection = project(metric="x", series=_series([5]), limit=10)

    assert projection.growth_per_day is None
    assert "not enough history" in projection.note


@pytest.mark.django_db
def test_a_limit_within_the_warning_window_fails_the_analysis() -> None:
    now = datetime(2026, 3, 20, tzinfo=UTC)
    for i, schemas in enumerate([4900, 4920, 4940, 4960]):
        DailySnapshot.objects.create(
            day=START + timedelta(days=i), taken_at=now, schema_count=schemas, tenants_total=i
        )

    with pytest.raises(MaintenanceJobFailed) as raised:
        capacity_analyze(now=now)

    report = raised.value.summary
    assert report["near_limits"] == ["schemas"]
    schemas = next(p for p in report["projections"] if p["metric"] == "schemas")
    assert schemas["days_to_limit"] == pytest.approx(2.0)
    assert set(report["queue_depths"]) == set(QUEUES)


@pytest.mark.django_db
def test_steady_growth_far_from_limits_passes() -> None:
    now = datetime(2026, 3, 20, tzinfo=UTC)
    for i in range(3):
        DailySnapshot.objects.create(
            day=START + timedelta(days=i), taken_at=now, schema_count=10 + i, tenants_total=10 + i
        )

    report = capacity_analyze(now=now)

    tenants = next(p for p in report["projections"] if p["metric"] == "tenants")
    assert tenants["growth_per_day"] == pytest.approx(1.0)
    assert report["near_limits"] == []
