"""``manage.py evaluate_alerts``: evaluate the rules once (what beat does every 30 s),
``--check`` a rule file, or write it as ``--prometheus-rules``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from operations.alerts.prometheus_rules import prometheus_rules_text
from operations.alerts.rules import RuleFileError, rules_load
from operations.alerts.services import alerts_run


class Command(BaseCommand):
    help = "Evaluate the alert rules once, check a rule file, or generate Prometheus rules."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--check",
            nargs="?",
            const="",
            metavar="FILE",
            help="only validate a rule file (default: ALERT_RULES_FILE) and list its rules",
        )
        parser.add_argument(
            "--prometheus-rules",
            metavar="FILE",
            help="write the rules as a Prometheus rules file ('-' for standard output)",
        )
        parser.add_argument("--json", action="store_true", help="print the evaluation as JSON")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["check"] is not None or options["prometheus_rules"]:
            path = Path(options["check"] or settings.ALERT_RULES_FILE)
            try:
                ruleset = rules_load(path)
            except RuleFileError as exc:
                raise CommandError(str(exc)) from exc
            if options["prometheus_rules"]:
                text = prometheus_rules_text(ruleset)
                if options["prometheus_rules"] == "-":
                    self.stdout.write(text, ending="")
                else:
                    Path(options["prometheus_rules"]).write_text(text, encoding="utf-8")
                    self.stdout.write(
                        f"wrote {len(ruleset.rules)} rules to {options['prometheus_rules']}"
                    )
                return
            for rule in ruleset.rules:
                self.stdout.write(
                    f"{rule.name:28} {rule.priority}  {rule.condition.text}  "
                    f"({rule.threshold_text})"
                )
            self.stdout.write(self.style.SUCCESS(f"{path}: {len(ruleset.rules)} rules, valid"))
            return
        try:
            evaluations = alerts_run()
        except RuleFileError as exc:
            raise CommandError(f"no alert rules in force: {exc}") from exc
        if evaluations is None:
            raise CommandError(
                "nothing evaluated: the database is unreachable (P0 channels paged) or "
                "another evaluation is running"
            )
        if options["json"]:
            self.stdout.write(json.dumps([e.__dict__ for e in evaluations], indent=2, default=str))
            return
        for e in evaluations:
            value = "—" if e.value is None else f"{e.value:g}"
            scope = f" [{e.scope}]" if e.scope else ""
            action = f"  → {e.action}" if e.action else ""
            self.stdout.write(f"{e.rule}{scope}: {e.status} ({value}; {e.detail}){action}")
