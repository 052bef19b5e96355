"""``migrate_schemas`` that also keeps the tenant template migrated and skips up-to-date schemas.

Order: public (then the clone function and the public tenant), the template, then every tenant
schema with something to apply. ``--all-schemas`` runs ``migrate`` on every schema regardless;
``--check`` answers from one query instead of running ``migrate`` per schema.
"""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import CommandError, CommandParser
from django_tenants.management.commands.migrate_schemas import MigrateSchemasCommand
from django_tenants.migration_executors import get_executor
from django_tenants.utils import get_public_schema_name, schema_exists

from tenants import provisioning
from tenants.context import use_public_schema
from tenants.migrations_state import pending_schemas
from tenants.models import Tenant
from tenants.services import public_tenant_ensure

# Options that make `migrate` do something other than "apply what is missing".
_SPECIAL = ("app_label", "migration_name", "fake", "fake_initial", "plan", "prune", "run_syncdb")


class Command(MigrateSchemasCommand):
    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument(
            "--all-schemas",
            action="store_true",
            dest="all_schemas",
            default=False,
            help="Run migrate on every schema, even those already up to date.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        # SyncCommon.handle parses --shared/--tenant/--schema into attributes.
        super(MigrateSchemasCommand, self).handle(*args, **options)
        public = get_public_schema_name()
        if self.sync_public and not self.schema_name:
            self.schema_name = public
        smart = not options["all_schemas"] and not any(options.get(k) for k in _SPECIAL)
        executor = get_executor(codename=self.executor)(self.args, self.options)

        if options["check_unapplied"]:
            self._check(public)
            return

        started = time.monotonic()
        if self.sync_public and (not smart or pending_schemas([public])):
            executor.run_migrations(tenants=[public])
        if self.sync_public:
            provisioning.clone_function_install()
            public_tenant_ensure()

        if not self.sync_tenant:
            return
        if self.schema_name and self.schema_name != public:
            if not schema_exists(self.schema_name):
                raise CommandError(f'Schema "{self.schema_name}" does not exist')
            schemas = [self.schema_name]
        else:
            provisioning.template_ensure()
            schemas = [provisioning.template_schema(), *self._tenant_schemas(public)]
        todo = pending_schemas(schemas) if smart else schemas
        if smart and int(options.get("verbosity", 1)) >= 1:
            self.stdout.write(
                f"{len(schemas) - len(todo)} of {len(schemas)} tenant schemas up to date; "
                f"migrating {len(todo)}."
            )
        if todo:
            executor.run_migrations(tenants=todo)
        use_public_schema()
        if int(options.get("verbosity", 1)) >= 2:
            self.stdout.write(f"migrate_schemas took {time.monotonic() - started:.2f}s")

    def _tenant_schemas(self, public: str) -> list[str]:
        return list(
            Tenant.objects.exclude(schema_name=public)
            .order_by("created_at", "pk")
            .values_list("schema_name", flat=True)
        )

    def _check(self, public: str) -> None:
        schemas = []
        if self.sync_public:
            schemas.append(public)
        if self.sync_tenant:
            if self.schema_name and self.schema_name != public:
                schemas.append(self.schema_name)
            else:
                schemas += [provisioning.template_schema(), *self._tenant_schemas(public)]
        pending = pending_schemas(schemas)
        if pending:
            shown = ", ".join(pending[:10]) + (" …" if len(pending) > 10 else "")
            raise CommandError(f"{len(pending)} schema(s) have unapplied migrations: {shown}")
