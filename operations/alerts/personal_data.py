"""Personal data in alert states: none; they hold metric readings and rule names."""

from __future__ import annotations

from compliance.registry import not_personal
from operations.alerts.models import AlertState, RuleFile

not_personal(
    AlertState,
    fields=["rule", "scope", "detail"],
    reason="rule names, metric readings and store or queue names of platform alerts",
)
not_personal(RuleFile, fields=["text", "checksum", "error"], reason="the alert rules file")
