"""Personal data in incidents: none about data subjects; staff e-mails record who acted."""

from __future__ import annotations

from compliance.registry import not_personal
from operations.incidents.models import Incident

not_personal(
    Incident,
    fields=["acknowledged_by", "resolved_by"],
    reason=(
        "the e-mail of the Peepers staff member who acted on a platform incident: an "
        "operator's accountability trail, not data about a seller or buyer"
    ),
)
