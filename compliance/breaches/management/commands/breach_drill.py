"""``breach_drill [--by EMAIL] [--json]``: run the breach procedure end to end on test data.

Prints each step and the outcome (or one JSON document); exits 1 when the drill failed.
"""

from __future__ import annotations

import json
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from compliance.breaches.drill import breach_drill_run
from compliance.breaches.models import DrillOutcome


class Command(BaseCommand):
    help = "Run the data breach procedure on test data and record the drill."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--by", default="command:breach_drill", help="who runs it (e-mail)")
        parser.add_argument("--json", action="store_true", help="print one JSON document")

    def handle(self, *args: Any, **options: Any) -> None:
        drill = breach_drill_run(by=options["by"])
        if options["json"]:
            self.stdout.write(
                json.dumps(
                    {
                        "drill_id": drill.pk,
                        "outcome": drill.outcome,
                        "started_at": drill.started_at.isoformat(),
                        "duration_ms": drill.duration_ms,
                        "run_by": drill.run_by,
                        "evidence": drill.evidence,
                    },
                    ensure_ascii=False,
                )
            )
        else:
            for step in drill.evidence.get("steps", []):
                mark = "ok  " if step["ok"] else "FAIL"
                self.stdout.write(f"{mark} {step['step']}: {step['detail']}")
            self.stdout.write(f"drill #{drill.pk} {drill.outcome} in {drill.duration_ms} ms")
        if drill.outcome != DrillOutcome.PASSED:
            raise CommandError("the breach drill failed", returncode=1)
