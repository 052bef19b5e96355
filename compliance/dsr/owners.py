"""A store never loses its only owner to an erasure: closing the store is how that ends.

The owner is the Peepers customer of record (contract, invoices, the Mercado Livre connection).
Erasing them while the store stays open would leave a store nobody can log into or be told
about, so the erasure is refused with what to do instead: close the store, whose offboarding
hands the owner a final export and then erases every store user through the registry. Once the
store is closed, or another active owner remains, the erasure goes ahead.
"""

from __future__ import annotations

from django_tenants.utils import tenant_context

from compliance.errors import ErasureRefused
from compliance.models import DataSubjectRequest, RequestScope
from tenants.models import Tenant, TenantStatus
from users.models import Role, User


def _other_owners(tenant: Tenant, email: str) -> bool:
    with tenant_context(tenant):
        return (
            User.objects.filter(role=Role.OWNER, is_active=True)
            .exclude(email__iexact=email)
            .exists()
        )


def _is_owner(tenant: Tenant, email: str) -> bool:
    if email.strip().lower() == str(tenant.owner_email).strip().lower():
        return True
    with tenant_context(tenant):
        return User.objects.filter(email__iexact=email, role=Role.OWNER, is_active=True).exists()


def owner_erasure_check(*, request: DataSubjectRequest) -> None:
    """Raise ``ErasureRefused`` if the request would erase the open store's only owner."""
    tenant = request.tenant
    if request.scope != RequestScope.SELLER_USER or tenant.status == TenantStatus.CLOSED:
        return
    email = request.subject_email
    if not _is_owner(tenant, email) or _other_owners(tenant, email):
        return
    # Staff read this in the admin (English, like the rest of the request actions).
    raise ErasureRefused(
        f"{email} is the only owner of the store “{tenant.name}”: erasing them would leave the "
        "store without an owner. Close the store instead (Admin → Stores → select it → “Close "
        "selected stores”, with “Offboard now as well”): the owner gets a final export, then "
        "their data is erased. Or make another user an owner first."
    )
