"""``seed_demo``: the demo store and a staff login for development (refused in production)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django_tenants.utils import tenant_context

from tenants.models import Tenant
from tenants.services import tenant_create
from users.models import Role, User

DEMO_SLUG = "demo"
DEMO_OWNER = "owner@demo.localhost"
STAFF_EMAIL = "staff@peepers.localhost"
# Development-only logins, printed on every `make dev`; production refuses to seed.
DEMO_PASSWORD = "peepers-demo"  # noqa: S105


class Command(BaseCommand):
    help = "Create the demo store and a staff user (development only); prints the logins."

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.PRODUCTION:
            raise CommandError("seed_demo creates known passwords; it never runs in production")
        tenant = Tenant.objects.filter(schema_name=DEMO_SLUG).first()
        if tenant is None:
            tenant = tenant_create(
                name="Loja Demo",
                slug=DEMO_SLUG,
                owner_email=DEMO_OWNER,
                plan_code="pro",
                owner_password=DEMO_PASSWORD,
                terms_accepted=True,
                channel="seed",
            ).tenant
        with tenant_context(tenant):
            owner, _ = User.objects.get_or_create(email=DEMO_OWNER, defaults={"role": Role.OWNER})
            owner.set_password(DEMO_PASSWORD)
            owner.save()
        staff, _ = User.objects.get_or_create(
            email=STAFF_EMAIL, defaults={"is_staff": True, "is_superuser": True}
        )
        staff.set_password(DEMO_PASSWORD)
        staff.save()
        port = settings.PORT
        base = settings.PEEPERS_BASE_DOMAIN
        self.stdout.write(
            "\n".join(
                [
                    "",
                    f"  Demo store:  http://{DEMO_SLUG}.{base}:{port}/   "
                    f"{DEMO_OWNER} / {DEMO_PASSWORD}",
                    f"  Staff admin: http://{base}:{port}/admin/   {STAFF_EMAIL} / {DEMO_PASSWORD}",
                    f"  Sign up:     http://{base}:{port}/signup/",
                    "",
                ]
            )
        )
