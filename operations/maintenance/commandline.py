"""What the maintenance commands share: run the job recorded, print it, exit 1 on failure."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from operations.maintenance.errors import MaintenanceError
from operations.maintenance.models import MaintenanceRun, Outcome
from operations.maintenance.services import maintenance_run


class JobCommand(BaseCommand):
    """A command named after a runbook script that runs one maintenance job."""

    job = ""

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--json", action="store_true", help="Print the run as JSON.")

    def job_options(self, options: Mapping[str, Any]) -> dict[str, Any]:
        return {}

    def render(self, summary: dict[str, Any]) -> list[str]:
        """The summary in readable lines (the default: one ``key: value`` per line)."""
        return [f"{key}: {value}" for key, value in summary.items()]

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            run = maintenance_run(
                job=self.job,
                by=f"manage.py {self.job}",
                options=self.job_options(options),
            )
        except MaintenanceError as exc:
            raise CommandError(str(exc), returncode=1) from exc
        self.report(run, as_json=options["json"])
        self.finish(run)

    def finish(self, run: MaintenanceRun) -> None:
        """Exit 1 when the run failed; a job with more exit codes tells its outcomes apart."""
        if run.outcome == Outcome.FAILED:
            raise CommandError(f"{self.job} failed: {run.error}", returncode=1)

    def report(self, run: MaintenanceRun, *, as_json: bool) -> None:
        if as_json:
            self.stdout.write(
                json.dumps(
                    {
                        "run_id": run.pk,
                        "job": run.job,
                        "outcome": run.outcome,
                        "started_at": run.started_at.isoformat(),
                        "finished_at": run.finished_at.isoformat() if run.finished_at else None,
                        "error": run.error,
                        "summary": run.summary,
                    },
                    indent=2,
                    default=str,
                )
            )
            return
        duration = run.duration.total_seconds() if run.duration else 0.0
        self.stdout.write(f"{self.job}: {run.outcome} in {duration:.1f}s (run {run.pk})")
        for line in self.render(run.summary):
            self.stdout.write(f"  {line}")
