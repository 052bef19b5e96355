"""Keyset pagination, for the seller's lists and the API: constant cost on any page of 100k rows.

A page is read as ``WHERE (sort, pk) beyond the cursor ORDER BY sort, pk LIMIT size + 1``, so
page 1,000 costs what page 1 does (an OFFSET would read and drop every row before it). Totals
are counted only up to ``COUNT_CAP`` ("10.000+"): an exact count of a large filtered list is the
one query that would grow with the data.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Generic, TypeVar

from django.core.exceptions import ValidationError
from django.db.models import Field, Model, Q, QuerySet
from django.utils import timezone

M = TypeVar("M", bound=Model)

COUNT_CAP = 10_000


@dataclass(frozen=True)
class Sort:
    """A list order: one model field, then the primary key in the same direction."""

    field: str
    descending: bool = False

    @property
    def token(self) -> str:
        return f"-{self.field}" if self.descending else self.field


@dataclass(frozen=True)
class Page(Generic[M]):
    rows: list[M]
    next_cursor: str
    previous_cursor: str
    total: int
    total_capped: bool

    @property
    def has_other_pages(self) -> bool:
        return bool(self.next_cursor or self.previous_cursor)


class CursorInvalid(ValueError):
    """A cursor that this list did not issue (edited, or from another sort)."""


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime | date) else value


def _encode(sort: Sort, direction: str, row: Model) -> str:
    payload = [direction, sort.token, _plain(getattr(row, sort.field)), _plain(row.pk)]
    raw = json.dumps(payload, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode(model: type[Model], sort: Sort, cursor: str) -> tuple[str, Any, Any]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        direction, token, value, pk = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, TypeError, UnicodeError, binascii.Error) as exc:
        raise CursorInvalid(cursor) from exc
    if direction not in ("after", "before") or token != sort.token:
        raise CursorInvalid(cursor)
    try:
        sort_field = model._meta.get_field(sort.field)
        pk_field = model._meta.pk
        if not isinstance(sort_field, Field) or pk_field is None:
            raise CursorInvalid(cursor)
        value = sort_field.to_python(value)
        pk = pk_field.to_python(pk)
    except (ValidationError, TypeError, ValueError, OverflowError) as exc:
        raise CursorInvalid(cursor) from exc
    if value is None or pk is None or isinstance(value, dict | list):
        raise CursorInvalid(cursor)
    if isinstance(value, datetime) and timezone.is_naive(value):
        raise CursorInvalid(cursor)  # every cursor we issue carries its offset
    return direction, value, pk


def _beyond(sort: Sort, value: Any, pk: Any, *, forward: bool) -> Q:
    """Rows after (``forward``) or before the cursor row in ``sort`` order."""
    later = sort.descending != forward  # True: larger values come next
    strict, loose = ("gt", "gte") if later else ("lt", "lte")
    # The redundant loose bound lets PostgreSQL start the index scan at the cursor.
    return Q(**{f"{sort.field}__{loose}": value}) & (
        Q(**{f"{sort.field}__{strict}": value}) | Q(**{sort.field: value, f"pk__{strict}": pk})
    )


def _ordering(sort: Sort, *, forward: bool) -> list[str]:
    descending = sort.descending == forward
    prefix = "-" if descending else ""
    return [f"{prefix}{sort.field}", f"{prefix}pk"]


def capped_count(queryset: QuerySet[M], *, cap: int = COUNT_CAP) -> tuple[int, bool]:
    """How many rows, counting at most ``cap`` + 1; and whether there are more than ``cap``."""
    counted = queryset.order_by()[: cap + 1].count()
    return min(counted, cap), counted > cap


def keyset_page(
    queryset: QuerySet[M], *, sort: Sort, cursor: str = "", size: int = 50, count: bool = True
) -> Page[M]:
    """One page of ``queryset`` in ``sort`` order, from ``cursor`` (a page's link) or the top.

    Raises ``CursorInvalid`` for a cursor this list did not issue.
    """
    direction = ""
    if cursor:
        direction, value, pk = _decode(queryset.model, sort, cursor)
        forward = direction == "after"
        window = queryset.filter(_beyond(sort, value, pk, forward=forward))
    else:
        forward = True
        window = queryset
    rows = list(window.order_by(*_ordering(sort, forward=forward))[: size + 1])
    more = len(rows) > size
    rows = rows[:size]
    if not forward:
        rows.reverse()
    next_cursor = previous_cursor = ""
    if rows:
        if (forward and more) or not forward:
            next_cursor = _encode(sort, "after", rows[-1])
        if (not forward and more) or (forward and direction == "after"):
            previous_cursor = _encode(sort, "before", rows[0])
    total, capped = capped_count(queryset) if count else (len(rows), False)
    return Page(
        rows=rows,
        next_cursor=next_cursor,
        previous_cursor=previous_cursor,
        total=total,
        total_capped=capped,
    )
