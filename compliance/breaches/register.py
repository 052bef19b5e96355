"""The incident register (Res. CD/ANPD 15/2024 art. 10) as CSV or JSON, for the ANPD or an audit.

Every case still inside its 5-year retention, notified or not; drills are left out unless asked
for. Times are ISO 8601 in UTC.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime
from typing import Literal

from django.db.models import Prefetch
from django.utils import timezone

from compliance.breaches.models import AffectedTenant, BreachCase

RegisterFormat = Literal["csv", "json"]
Cell = str | int | bool | None

COLUMNS = [
    "id",
    "title",
    "is_drill",
    "severity",
    "status",
    "awareness_at",
    "notification_due_at",
    "detected_by",
    "detection_method",
    "description",
    "affected_stores",
    "subjects_count",
    "subject_categories",
    "data_nature",
    "security_measures",
    "data_unintelligible",
    "risks",
    "mitigation_measures",
    "delay_reasons",
    "notification_required",
    "not_notified_reason",
    "anpd_notified_at",
    "anpd_protocol",
    "subjects_notified_at",
    "subjects_notice_channel",
    "notified_on_time",
    "containment_started_at",
    "containment_started_by",
    "containment_finished_at",
    "containment_finished_by",
    "assessment_finished_at",
    "assessment_finished_by",
    "notification_finished_at",
    "notification_finished_by",
    "recovery_finished_at",
    "recovery_finished_by",
    "closed_at",
    "closed_by",
    "keep_until",
]


def _cell(value: object) -> Cell:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if value is None or isinstance(value, str | int | bool):
        return value
    return str(value)


def register_rows(
    *, include_drills: bool = False, include_expired: bool = False, today: date | None = None
) -> list[dict[str, Cell]]:
    """One dict per case (``COLUMNS``), oldest awareness first."""
    today = today or timezone.localdate()
    cases = BreachCase.objects.order_by("awareness_at", "pk").prefetch_related(
        Prefetch("affected", queryset=AffectedTenant.objects.order_by("pk"))
    )
    if not include_drills:
        cases = cases.filter(is_drill=False)
    rows: list[dict[str, Cell]] = []
    for case in cases:
        if not include_expired and case.keep_until < today:
            continue
        row: dict[str, Cell] = {}
        for column in COLUMNS:
            if column == "id":
                row[column] = case.pk
            elif column == "affected_stores":
                row[column] = "; ".join(
                    f"{a} ({'?' if a.subjects_count is None else a.subjects_count})"
                    for a in case.affected.all()
                )
            elif column == "notified_on_time":
                row[column] = (
                    None
                    if case.anpd_notified_at is None
                    else case.anpd_notified_at <= case.notification_due_at
                )
            else:
                row[column] = _cell(getattr(case, column))
        rows.append(row)
    return rows


def breach_register(
    *,
    fmt: RegisterFormat = "csv",
    include_drills: bool = False,
    include_expired: bool = False,
    today: date | None = None,
) -> str:
    """The register as a CSV (one header row) or a JSON document ``{"cases": [...]}``."""
    rows = register_rows(
        include_drills=include_drills, include_expired=include_expired, today=today
    )
    if fmt == "json":
        generated = timezone.now().astimezone(UTC).isoformat()
        return json.dumps({"generated_at": generated, "cases": rows}, ensure_ascii=False, indent=2)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS)
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()
