"""django-filter for the API's list endpoints (the package publishes no type stubs).

``UtcDateTimeFilter`` takes ISO 8601 with any offset Python accepts and hands the database UTC:
PostgreSQL refuses offsets beyond ±15:59, which must be a 400 here, not a database error.
"""

from datetime import UTC, datetime
from typing import Any

import django_filters  # type: ignore[import-untyped]
from django.core.exceptions import ValidationError
from django_filters.fields import IsoDateTimeField  # type: ignore[import-untyped]
from django_filters.rest_framework import DjangoFilterBackend  # type: ignore[import-untyped]


def as_utc(value: datetime) -> datetime:
    """``value`` in UTC (naive means UTC); ValueError when it has no UTC equivalent."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    try:
        return value.astimezone(UTC)
    except OverflowError as exc:
        raise ValueError("date out of range") from exc


class UtcDateTimeField(IsoDateTimeField):  # type: ignore[misc]
    def to_python(self, value: Any) -> datetime | None:
        parsed: datetime | None = super().to_python(value)
        if parsed is None:
            return None
        try:
            return as_utc(parsed)
        except ValueError as exc:
            raise ValidationError("Enter a date and time within the years 1 to 9999.") from exc


class UtcDateTimeFilter(django_filters.IsoDateTimeFilter):  # type: ignore[misc]
    field_class = UtcDateTimeField


__all__ = ["DjangoFilterBackend", "UtcDateTimeFilter", "as_utc", "django_filters"]
