"""``erasure_replay``: after a backup restore, apply every recorded erasure again."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from compliance.dsr.erasure import erasure_replay
from compliance.dsr.suppression import erased_requests


class Command(BaseCommand):
    help = (
        "Re-apply the erasures of every subject on the stores' suppression lists (run after "
        "restoring a backup taken before them); each replay is written to the audit log."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--request", type=int, action="append", dest="requests")

    def handle(self, *args: Any, **options: Any) -> None:
        requests = erased_requests()
        if options["requests"]:
            requests = [request for request in requests if request.pk in options["requests"]]
        total = 0
        for request in requests:
            changed = erasure_replay(request=request)
            total += sum(changed.values())
            self.stdout.write(f"request {request.pk} ({request.tenant.schema_name}): {changed}")
        self.stdout.write(f"{len(requests)} erasure(s) replayed, {total} row(s) changed again")
