"""``create_tenant``: the runbook's onboarding script; same service as the signup page.

Prints the new store's UUID. Running it again with the same ``--ml-user-id``, ``--email`` and
``--plan`` prints the existing store's UUID; an ``--ml-user-id`` owned by another store, or a
``--plan`` other than the store's, is an error (exit 1, naming the flag); so is an unknown plan.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser, no_translations

from tenants.errors import TenantError, TenantInvalid
from tenants.services import tenant_create
from tenants.slugs import slug_suggest

FLAGS = {
    "name": "--name",
    "slug": "--slug",
    "email": "--email",
    "plan": "--plan",
    "ml_user_id": "--ml-user-id",
    "accept_terms": "--accept-terms",
    "password": "--password",
}


class Command(BaseCommand):
    help = "Create a store (tenant), its schema and its owner; prints the tenant UUID."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--ml-user-id", type=int, required=True, dest="ml_user_id")
        parser.add_argument("--email", required=True, help="The owner's e-mail.")
        parser.add_argument("--plan", required=True, help="Plan code, e.g. starter.")
        parser.add_argument("--name", help="Store name (default: 'Loja <ml-user-id>').")
        parser.add_argument("--slug", help="Store address (default: derived from the name).")
        parser.add_argument(
            "--accept-terms",
            action="store_true",
            dest="accept_terms",
            help="The owner has accepted the current terms and privacy notice.",
        )

    @no_translations  # an operator's command: its messages read as the runbook's, in English
    def handle(self, *args: Any, **options: Any) -> None:
        ml_user_id: int = options["ml_user_id"]
        name = options["name"] or f"Loja {ml_user_id}"
        slug = options["slug"] if options["slug"] is not None else slug_suggest(name)
        try:
            result = tenant_create(
                name=name,
                slug=slug,
                owner_email=options["email"],
                plan_code=options["plan"],
                ml_user_id=ml_user_id,
                terms_accepted=options["accept_terms"],
                channel="command",
            )
        except TenantInvalid as exc:
            lines = [
                f"{FLAGS.get(field, field)}: {message}"
                for field, messages in exc.errors.items()
                for message in messages
            ]
            raise CommandError("\n".join(lines)) from exc
        except TenantError as exc:
            flag = FLAGS.get(exc.field or "", "")
            raise CommandError(f"{flag}: {exc.message}" if flag else exc.message) from exc
        if result.created:
            self.stderr.write(
                f"Created store {result.tenant.name!r} at {result.tenant.get_primary_domain()}; "
                "the owner sets a password with the password-reset link."
            )
        else:
            self.stderr.write("A store for this Mercado Livre user and e-mail already exists.")
        self.stdout.write(str(result.tenant.public_id))
