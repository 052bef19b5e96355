"""``migrate`` is ``migrate_schemas`` (as in django-tenants), with Peepers' template handling."""

from tenants.management.commands.migrate_schemas import Command

__all__ = ["Command"]
