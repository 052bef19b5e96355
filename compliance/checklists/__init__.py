"""The runbook's compliance checklists as live checks of the real system.

Each item of "LGPD Compliance", "ML API Compliance" and "SaaS Billing Compliance"
(peepers-runbooks.md) is either a check that looks at what Peepers actually does now, or a
manual attestation (who attested what, and when; ``compliance_attest``), and answers pass, fail
or unknown with its evidence. An item with nothing to look at is unknown, never pass.
``compliance_report`` runs them all.
"""

from compliance.checklists import billing, lgpd, mercadolivre
from compliance.checklists.base import CHECKS, Basis, CheckResult, Outcome, check, checklist_run

__all__ = [
    "CHECKS",
    "Basis",
    "CheckResult",
    "Outcome",
    "billing",
    "check",
    "checklist_run",
    "lgpd",
    "mercadolivre",
]
