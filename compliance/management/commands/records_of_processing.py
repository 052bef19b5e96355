"""``records_of_processing``: the Art. 37 record, as JSON for the ANPD or anyone who asks."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand

from compliance.reports import records_of_processing


class Command(BaseCommand):
    help = "Print the records of processing (LGPD Art. 37) generated from the registry."

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(json.dumps(records_of_processing(), indent=2, ensure_ascii=False))
