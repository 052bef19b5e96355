"""The runbook's compliance checklists as live checks of the real system.

Each item of "LGPD Compliance", "ML API Compliance" and "SaaS Billing Compliance"
(peepers-runbooks.md) is either a check that looks at what Peepers actually does now, or a
manual attestation (who attested what, and when; ``compliance_attest``), and answers pass, fail
or unknown with its evidence. An item with nothing to look at is unknown, never pass.
Compliance holds the framework and the LGPD items; every other app registers its own items in
a ``checklists`` module, loaded at start-up. ``compliance_report`` runs them all.
"""

from compliance.checklists import lgpd
from compliance.checklists.base import (
    Basis,
    ChecklistItem,
    CheckResult,
    Outcome,
    check,
    checklist,
    checklist_run,
    checks,
)
from compliance.checklists.card_data import card_data_surfaces

__all__ = [
    "Basis",
    "CheckResult",
    "ChecklistItem",
    "Outcome",
    "card_data_surfaces",
    "check",
    "checklist",
    "checklist_run",
    "checks",
    "lgpd",
]
