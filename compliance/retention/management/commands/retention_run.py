"""``retention_run [--dry-run] [--json] [--category C]... | --offboard SCHEMA``."""

from __future__ import annotations

import getpass
import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from compliance.retention.errors import RetentionError
from compliance.retention.models import RetentionCategory
from compliance.retention.offboarding import store_for_schema, store_offboard
from compliance.retention.services import RetentionReport, retention_run


class Command(BaseCommand):
    help = (
        "Enforce the retention policies now and print what was removed per category and "
        "store; or offboard one closed store at once (final export, e-mail, schema dropped)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help="Report what would go; change nothing."
        )
        parser.add_argument("--json", action="store_true", help="One JSON document on stdout.")
        parser.add_argument(
            "--category",
            action="append",
            choices=[str(c) for c in RetentionCategory],
            help="Only this category (repeatable); default every active policy.",
        )
        parser.add_argument(
            "--offboard", metavar="SCHEMA", help="Offboard this closed store now, whatever its age."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        origin = f"command ({_os_user()})"
        if options["offboard"]:
            if options["dry_run"]:
                raise CommandError("--offboard has no dry run; use --dry-run alone to preview.")
            try:
                tenant = store_for_schema(schema_name=options["offboard"])
                done = store_offboard(tenant=tenant, by=origin)
            except RetentionError as exc:
                raise CommandError(exc.message) from exc
            self.stdout.write(
                f"{done.schema_name}: exported to {done.export_path or '-'}, owner notified "
                f"{done.notified_at:%Y-%m-%d %H:%M}, schema dropped "
                f"{done.schema_dropped_at:%Y-%m-%d %H:%M}."
            )
            return
        try:
            report = retention_run(
                dry_run=options["dry_run"], categories=options["category"], origin=origin
            )
        except RetentionError as exc:
            raise CommandError(exc.message) from exc
        if options["json"]:
            self.stdout.write(json.dumps(report.as_dict(), indent=2, ensure_ascii=False))
        else:
            self._table(report)
        if report.errors:
            raise CommandError(f"retention run {report.run_id} finished with errors")

    def _table(self, report: RetentionReport) -> None:
        verb = "would remove" if report.dry_run else "removed"
        self.stdout.write(f"Retention run {report.run_id} as of {report.as_of:%Y-%m-%d %H:%M}")
        for category, outcome in report.outcomes.items():
            per_store = report.counts.get(category, {})
            self.stdout.write(f"{category:<22} {report.total(category):>7}  {outcome}")
            for store, count in sorted(per_store.items()):
                self.stdout.write(f"{'':<4}{store:<18} {count:>7}")
        for error in report.errors:
            self.stderr.write(f"error: {error}")
        self.stdout.write(f"{report.total()} {verb}; {len(report.errors)} error(s).")
        if report.dry_run:
            self.stdout.write("Dry run: nothing was changed.")


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"
