"""``compliance_report``: run the live checklists, save and print the report."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from compliance.reports import compliance_report_create

MARK = {"pass": "PASS", "fail": "FAIL", "unknown": "  ? "}


class Command(BaseCommand):
    help = "Run the LGPD, ML API and billing checklists against the live system; write a report."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--by", default="manage.py compliance_report")

    def handle(self, *args: Any, **options: Any) -> None:
        files = compliance_report_create(by=options["by"])
        checklist = ""
        for result in files.report.results:
            if result["checklist"] != checklist:
                checklist = result["checklist"]
                self.stdout.write(f"\n{checklist}")
            basis = result.get("basis", "check")
            self.stdout.write(
                f"  [{MARK[result['outcome']]}] {result['item']} ({basis}): {result['evidence']}"
            )
        report = files.report
        self.stdout.write(
            f"\n{report.passed} passed, {report.failed} failed, {report.unknown} unknown"
            f"\nJSON: {files.json_path}\nHTML: {files.html_path}"
        )
