from typing import Any

from django.core.management.base import BaseCommand

class MigrateSchemasCommand(BaseCommand):
    sync_public: bool
    sync_tenant: bool
    schema_name: str | None
    executor: str | None
    args: tuple[Any, ...]
    options: dict[str, Any]
