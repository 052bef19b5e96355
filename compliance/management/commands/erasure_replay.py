"""``erasure_replay``: after a backup restore, apply every recorded erasure again."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from compliance.dsr.erasure import erasure_replay
from compliance.models import DataSubjectRequest


class Command(BaseCommand):
    help = "Re-apply recorded erasures (run after restoring a backup taken before them)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--request", type=int, action="append", dest="requests")

    def handle(self, *args: Any, **options: Any) -> None:
        requests = DataSubjectRequest.objects.filter(erasure_steps__isnull=False).distinct()
        if options["requests"]:
            requests = requests.filter(pk__in=options["requests"])
        total = 0
        for request in requests.select_related("tenant").order_by("pk"):
            changed = erasure_replay(request=request)
            total += sum(changed.values())
            self.stdout.write(f"request {request.pk} ({request.tenant.schema_name}): {changed}")
        self.stdout.write(f"{requests.count()} erasure(s) replayed, {total} row(s) changed again")
