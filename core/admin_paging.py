"""Admin lists over big tables: PostgreSQL's row estimate instead of ``COUNT(*)`` when the
exact count would read millions of rows.

The estimate is ``pg_class.reltuples`` for an unfiltered list and the planner's row estimate
(``EXPLAIN``) for a filtered one; both cost a catalogue lookup, not a scan. Below
``EXACT_COUNT_BELOW`` estimated rows the count is exact, and so is any count the planner cannot
estimate (a table never analyzed).
"""

from __future__ import annotations

import json
from typing import Any, ClassVar

from django.core.paginator import Paginator
from django.db import connections
from django.db.models import QuerySet
from django.utils.functional import cached_property

EXACT_COUNT_BELOW = 20_000


def estimated_count(queryset: QuerySet[Any]) -> int | None:
    """The planner's estimate of ``queryset.count()``; None when it has none."""
    connection = connections[queryset.db]
    with connection.cursor() as cursor:
        if not queryset.query.where and not queryset.query.distinct:
            cursor.execute(
                "SELECT reltuples FROM pg_class WHERE oid = to_regclass(%s)",
                [connection.ops.quote_name(queryset.model._meta.db_table)],
            )
            row = cursor.fetchone()
            # -1: never vacuumed or analyzed, so PostgreSQL does not know.
            return int(row[0]) if row is not None and row[0] >= 0 else None
        sql, params = queryset.order_by().values("pk").query.sql_with_params()
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
        plan = cursor.fetchone()[0]
    if isinstance(plan, str):
        plan = json.loads(plan)
    return int(plan[0]["Plan"]["Plan Rows"])


class EstimatedCountPaginator(Paginator):  # type: ignore[type-arg]  # pages of any model
    """Counts exactly when the estimate is small, else pages by the estimate."""

    exact_count_below = EXACT_COUNT_BELOW

    @cached_property
    def _estimate(self) -> int | None:
        if not isinstance(self.object_list, QuerySet):
            return None
        return estimated_count(self.object_list)

    @cached_property
    def is_estimate(self) -> bool:
        """True when ``count`` is the planner's estimate (the page says "about")."""
        return self._estimate is not None and self._estimate >= self.exact_count_below

    @cached_property
    def count(self) -> int:
        if self._estimate is not None and self.is_estimate:
            return self._estimate
        return super().count


class EstimatedCountAdminMixin:
    """Put first in a ``ModelAdmin``'s bases for a table that grows without bound."""

    paginator: ClassVar[type] = EstimatedCountPaginator
    show_full_result_count = False
