"""Personal data in maintenance: none about data subjects; who triggered a run is staff or a job."""

from __future__ import annotations

from compliance.registry import not_personal
from operations.maintenance.models import MaintenanceRun

not_personal(
    MaintenanceRun,
    fields=["triggered_by"],
    reason=(
        "the beat task, command or Peepers staff member's e-mail that started a maintenance "
        "run: an operator's accountability trail, not data about a seller or buyer"
    ),
)
