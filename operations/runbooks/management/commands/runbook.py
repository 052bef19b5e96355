"""``manage.py runbook NAME {diagnose,mitigate,validate}``: run one step of a runbook, print
what it found, record the run. Exit 0 ok, 1 failed, 2 unknown (no data), 64 bad usage."""

from __future__ import annotations

import getpass
import os
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from operations.runbooks.catalog import RUNBOOKS
from operations.runbooks.errors import RunbookError
from operations.runbooks.registry import ACTIONS, Options
from operations.runbooks.services import runbook_run

USAGE_ERROR = 64  # EX_USAGE: distinct from the outcomes' 1 and 2


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return os.environ.get("USER", "unknown")


class Command(BaseCommand):
    help = "Run a runbook step (diagnose, mitigate, validate) and record it; --list shows them."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name", nargs="?", help=f"one of: {', '.join(RUNBOOKS)}")
        parser.add_argument("action", nargs="?", help=f"one of: {', '.join(ACTIONS)}")
        parser.add_argument("--list", action="store_true", help="list the runbooks and exit")
        parser.add_argument("--by", default="", help="who runs it (default: the OS user)")
        parser.add_argument(
            "--minutes",
            type=int,
            default=60,
            help="diagnose: the window; mitigate: how long the mitigation lasts (default 60)",
        )
        parser.add_argument(
            "--last", type=int, default=100, help="oauth validate: the last N refreshes"
        )
        parser.add_argument("--url", default="", help="webhook validate: the URL to time")
        parser.add_argument(
            "--off", action="store_true", help="webhook mitigate: leave ack-only mode, drain"
        )
        parser.add_argument(
            "--undo",
            action="store_true",
            help="rate-limit / ml-api-down mitigate: resume the held queues (and the limiter)",
        )
        parser.add_argument(
            "--factor",
            type=float,
            default=0.5,
            help="rate-limit mitigate: budget multiplier while tightened (default 0.5)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["list"]:
            for runbook in RUNBOOKS.values():
                self.stdout.write(
                    f"{runbook.name:<24} {runbook.priority}  {runbook.title} (SLA: {runbook.sla})"
                )
            return
        name, action = options["name"], options["action"]
        if not name or not action:
            raise CommandError(
                f"usage: runbook NAME {{{','.join(ACTIONS)}}}; runbooks: {', '.join(RUNBOOKS)}",
                returncode=USAGE_ERROR,
            )
        if options["minutes"] <= 0 or options["last"] <= 0:
            raise CommandError("--minutes and --last must be positive", returncode=USAGE_ERROR)
        if not 0 < options["factor"] <= 1:
            raise CommandError("--factor must be above 0 and at most 1", returncode=USAGE_ERROR)
        step_options = Options(
            minutes=options["minutes"],
            last=options["last"],
            url=options["url"],
            off=options["off"],
            undo=options["undo"],
            factor=options["factor"],
        )
        try:
            ran = runbook_run(
                name=name, action=action, options=step_options, by=options["by"] or _os_user()
            )
        except RunbookError as exc:
            raise CommandError(str(exc), returncode=USAGE_ERROR) from exc
        runbook = RUNBOOKS[name]
        self.stdout.write(f"== {runbook.title} [{runbook.priority}] {action}")
        for line in ran.result.lines:
            self.stdout.write(line)
        if ran.run is None:
            self.stderr.write("warning: this run could not be recorded (database unavailable)")
        else:
            linked = f", incident #{ran.run.incident_id}" if ran.run.incident_id else ""
            self.stdout.write(f"(recorded as run #{ran.run.pk}{linked})")
        code = ran.result.outcome.exit_code
        if code:
            raise SystemExit(code)
