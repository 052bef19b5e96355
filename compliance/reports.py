"""``compliance_report`` and the records of processing (LGPD Art. 37), as files staff can hand on.

The checklist report is saved as a ``ComplianceReport`` row and written as JSON and a readable
HTML page under ``MEDIA_ROOT/compliance/``. The records of processing are generated from the
personal-data registry and the purposes (with their legal bases, recipients and retention), so
they change when the code does.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone

from compliance.checklists import Outcome, checklist_run
from compliance.models import ComplianceReport
from compliance.notices.models import Purpose
from compliance.registry import declarations
from compliance.selectors import dpo_contact


@dataclass(frozen=True)
class ReportFiles:
    report: ComplianceReport
    json_path: Path
    html_path: Path


def _out_dir() -> Path:
    path = Path(settings.MEDIA_ROOT) / "compliance"
    path.mkdir(parents=True, exist_ok=True)
    return path


def compliance_report_create(*, by: str) -> ReportFiles:
    results = [r.as_dict() for r in checklist_run()]
    count = {o: sum(1 for r in results if r["outcome"] == o) for o in Outcome}
    report = ComplianceReport.objects.create(
        created_by=by,
        passed=count[Outcome.PASS],
        failed=count[Outcome.FAIL],
        unknown=count[Outcome.UNKNOWN],
        results=results,
    )
    stamp = report.created_at.strftime("%Y-%m-%d-%H%M%S")
    json_path = _out_dir() / f"compliance-report-{stamp}.json"
    json_path.write_text(
        json.dumps(
            {"created_at": report.created_at.isoformat(), "by": by, "results": results},
            indent=2,
            ensure_ascii=False,
        )
    )
    html_path = json_path.with_suffix(".html")
    html_path.write_text(
        render_to_string("compliance/report.html", {"report": report, "results": results})
    )
    return ReportFiles(report=report, json_path=json_path, html_path=html_path)


def records_of_processing() -> dict[str, Any]:
    """Art. 37: which data, for what purpose, on what legal basis, kept how long, shared with
    whom, and the encarregado — from the registry and the purposes."""

    dpo = dpo_contact()
    return {
        "controller": "Peepers",
        "generated_at": timezone.now().isoformat(),
        "encarregado": {"name": dpo.name, "email": dpo.email, "phone": dpo.phone},
        "purposes": [
            {
                "code": p.code,
                "name": p.name,
                "legal_basis": p.get_legal_basis_display(),
                "needs_consent": p.needs_consent,
                "data_categories": p.data_categories,
                "recipients": p.recipients,
                "retention": p.retention,
            }
            for p in Purpose.objects.filter(active=True).order_by("position", "code")
        ],
        "data": [
            {
                "model": d.label,
                "fields": list(d.fields),
                "subjects": [str(s) for s in d.subjects],
                "on_erasure": str(d.erasure),
                "kept_because": d.why_kept,
                "schema": "each store's own schema" if d.schema == "tenant" else "shared",
            }
            for d in declarations()
        ],
        "processors_and_recipients": [
            "Stripe (payments and invoices; United States and Brazil)",
            "Mercado Livre (the marketplace the seller sells on; orders, questions, items)",
            "E-mail provider configured in EMAIL_URL (transactional e-mail)",
        ],
    }
