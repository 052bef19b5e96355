"""Users: Peepers staff on the public schema, and a store's users inside its schema."""

from __future__ import annotations

from django_tenants.utils import tenant_context

from tenants.models import Tenant
from users.models import Role, User

STAFF_EMAIL = "staff@peepers.test"
STAFF_PASSWORD = "a-long-staff-password-1"


def staff_create(email: str = STAFF_EMAIL, password: str = STAFF_PASSWORD) -> User:
    """A Peepers superuser (the admin's staff)."""
    return User.objects.create_superuser(email, password)


def store_user_create(
    tenant: Tenant, email: str, password: str, *, role: str = Role.MEMBER
) -> User:
    """A user of ``tenant``'s store, created inside its schema."""
    with tenant_context(tenant):
        return User.objects.create_user(email, password, role=role)
