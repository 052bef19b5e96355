"""``cleanup_cache``: cache keys missing their TTL get it back; dead stores' keys go."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from django.core.management.base import CommandParser

from operations.maintenance.cache import cache_cleanup
from operations.maintenance.commandline import JobCommand


class Command(JobCommand):
    help = "Fix cache keys that lost their TTL and delete keys of deleted stores (Redis)."
    job = "cleanup_cache"

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument(
            "--dry-run", action="store_true", help="Count only; change nothing, record no run."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not options["dry_run"]:
            super().handle(*args, **options)
            return
        summary = cache_cleanup(dry_run=True).as_dict()
        if options["json"]:
            self.stdout.write(json.dumps(summary, indent=2))
        else:
            self.stdout.write("cleanup_cache (dry run, nothing changed):")
            for line in self.render(summary):
                self.stdout.write(f"  {line}")

    def render(self, summary: Mapping[str, Any]) -> list[str]:
        return [
            f"keys scanned: {summary['scanned']}",
            f"by family: {summary['by_family']}",
            f"without the TTL they need: {summary['without_ttl']}",
            f"TTL set again: {summary['ttl_set']}, deleted (no TTL, re-created on demand): "
            f"{summary['deleted_without_ttl']}",
            f"keys of deleted stores removed: {summary['dead_store_keys']}",
            f"keys of unknown families (left alone): {summary['unknown']}",
        ]
