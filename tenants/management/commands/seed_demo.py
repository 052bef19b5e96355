"""``seed_demo``: the demo stores and a staff login for development (refused in production).

Creates ``tenants.demo.DEMO_STORES`` (the demo store, which ``demo_connect`` connects to the ML
sandbox, and a new store left unconnected) once, resets their owners' and the staff user's
passwords every time, and prints the logins.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django_tenants.utils import tenant_context

from tenants.demo import DEMO_PASSWORD, DEMO_STORE, DEMO_STORES, NEW_STORE, STAFF_EMAIL, DemoStore
from tenants.models import Tenant
from tenants.services import tenant_create
from users.models import Role, User


def _store_seed(store: DemoStore) -> Tenant | None:
    """The demo store, created once; None when a store of another owner has its address (one
    signed up in development), which is never given a known password."""
    tenant = Tenant.objects.filter(schema_name=store.slug).first()
    if tenant is not None and tenant.owner_email.lower() != store.owner:
        return None
    if tenant is None:
        tenant = tenant_create(
            name=store.name,
            slug=store.slug,
            owner_email=store.owner,
            plan_code=store.plan_code,
            owner_password=DEMO_PASSWORD,
            terms_accepted=True,
            channel="seed",
        ).tenant
    with tenant_context(tenant):
        owner, _ = User.objects.get_or_create(email=store.owner, defaults={"role": Role.OWNER})
        owner.set_password(DEMO_PASSWORD)
        owner.save()
    return tenant


class Command(BaseCommand):
    help = "Create the demo stores and a staff user (development only); prints the logins."

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.PRODUCTION:
            raise CommandError("seed_demo creates known passwords; it never runs in production")
        for store in DEMO_STORES:
            if _store_seed(store) is None:
                self.stderr.write(
                    f"  The store at {store.slug!r} belongs to someone else; it is left as it is."
                )
        staff, _ = User.objects.get_or_create(
            email=STAFF_EMAIL, defaults={"is_staff": True, "is_superuser": True}
        )
        staff.set_password(DEMO_PASSWORD)
        staff.save()
        port = settings.PORT
        base = settings.PEEPERS_BASE_DOMAIN
        demo, new = DEMO_STORE, NEW_STORE
        self.stdout.write(
            "\n".join(
                [
                    "",
                    f"  Demo store:  http://{demo.slug}.{base}:{port}/   "
                    f"{demo.owner} / {DEMO_PASSWORD}",
                    f"  New store:   http://{new.slug}.{base}:{port}/   "
                    f"{new.owner} / {DEMO_PASSWORD}   (not connected yet)",
                    f"  Staff admin: http://{base}:{port}/admin/   {STAFF_EMAIL} / {DEMO_PASSWORD}",
                    f"  Sign up:     http://{base}:{port}/signup/",
                    "",
                ]
            )
        )
