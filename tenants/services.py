"""What the system does to tenants: create them (signup and ``create_tenant``), change status.

``tenant_create`` is the one path to a new store. It validates everything first, then creates
the Tenant row, its domain, its schema (cloned), its owner and the signup evidence in a single
transaction: either the store exists completely or nothing of it does.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Literal

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tenants.utils import get_public_schema_name, tenant_context

from tenants import provisioning
from tenants.errors import (
    MLUserIdTaken,
    TenantEmailTaken,
    TenantError,
    TenantInvalid,
    TenantPlanConflict,
    TenantSlugTaken,
)
from tenants.models import Domain, SignupAgreement, Tenant, TenantStatus
from tenants.plans import plan_get
from tenants.signals import tenant_created, tenant_status_changed
from tenants.slugs import slug_normal, slug_problems
from users.models import Role, User

logger = logging.getLogger(__name__)

Channel = Literal["signup", "command", "seed"]


@dataclass(frozen=True)
class TenantCreated:
    tenant: Tenant
    owner: User | None
    created: bool


def tenant_domain_for(slug: str) -> str:
    return f"{slug}.{settings.PEEPERS_BASE_DOMAIN}"


def store_url(slug: str, path: str = "/") -> str:
    """Absolute URL of a page on a store's host, for e-mails and cross-host redirects."""
    return f"{settings.PEEPERS_URL_SCHEME}://{tenant_domain_for(slug)}{settings.PEEPERS_URL_PORT}{path}"


def public_url(path: str = "/") -> str:
    return f"{settings.PEEPERS_URL_SCHEME}://{settings.PEEPERS_BASE_DOMAIN}{settings.PEEPERS_URL_PORT}{path}"


def tenant_create(
    *,
    name: str,
    slug: str,
    owner_email: str,
    plan_code: str,
    owner_password: str | None = None,
    ml_user_id: int | None = None,
    terms_accepted: bool,
    channel: Channel,
    ip_address: str | None = None,
    user_agent: str = "",
    provision: Literal["clone", "replay"] = "clone",
) -> TenantCreated:
    """Create a store with its schema, domain and owner, or raise and leave nothing behind.

    Idempotent for ``ml_user_id`` + ``owner_email``: asking again with the store's plan returns
    the existing store with ``created=False``; another plan is ``TenantPlanConflict`` (plans
    change through billing, not here). An ``ml_user_id`` that belongs to another owner is an
    error; an unknown plan always is.
    """
    email = owner_email.strip().lower()
    name = name.strip()
    if ml_user_id is not None and ml_user_id > 0:
        existing = Tenant.objects.filter(ml_user_id=ml_user_id).first()
        if existing is not None:
            if existing.owner_email == email:
                if problems := _plan_problems(plan_code):
                    raise TenantInvalid({"plan": problems})
                if plan_code != existing.plan_code:
                    raise TenantPlanConflict(
                        f"The store for Mercado Livre user {ml_user_id} is on plan "
                        f"“{existing.plan_code}”, not “{plan_code}”; change plans from billing."
                    )
                return TenantCreated(tenant=existing, owner=None, created=False)
            raise MLUserIdTaken(
                f"Mercado Livre user {ml_user_id} is already connected to another store."
            )
    _validate(
        name=name,
        slug=slug,
        email=email,
        plan_code=plan_code,
        password=owner_password,
        terms_accepted=terms_accepted,
        ml_user_id=ml_user_id,
    )

    # Hashing takes a good part of a second: do it before taking any lock.
    password_hash = make_password(owner_password)
    try:
        with transaction.atomic():
            tenant = _tenant_insert(
                name=name, slug=slug, email=email, plan_code=plan_code, ml_user_id=ml_user_id
            )
            Domain.objects.create(domain=tenant_domain_for(slug), tenant=tenant, is_primary=True)
            if provision == "clone":
                provisioning.schema_clone(schema_name=slug)
            else:
                provisioning.schema_replay(schema_name=slug)
            with tenant_context(tenant):
                owner = User.objects.create(email=email, password=password_hash, role=Role.OWNER)
            SignupAgreement.objects.create(
                tenant=tenant,
                email=email,
                terms_version=settings.PEEPERS_TERMS_VERSION,
                privacy_notice_version=settings.PEEPERS_PRIVACY_NOTICE_VERSION,
                accepted_at=timezone.now(),
                ip_address=ip_address,
                user_agent=user_agent[:512],
                channel=channel,
            )
    except Exception as exc:
        if not isinstance(exc, TenantError):
            logger.exception("creating tenant %s failed; nothing was kept", slug)
        raise
    logger.info("tenant %s (%s) created via %s", slug, tenant.public_id, channel)
    transaction.on_commit(lambda: tenant_created.send(sender=Tenant, tenant=tenant, owner=owner))
    return TenantCreated(tenant=tenant, owner=owner, created=True)


def _validate(
    *,
    name: str,
    slug: str,
    email: str,
    plan_code: str,
    password: str | None,
    terms_accepted: bool,
    ml_user_id: int | None,
) -> None:
    errors: dict[str, list[str]] = {}
    if not name:
        errors["name"] = [_("Give your store a name.")]
    elif len(name) > 120:
        errors["name"] = [_("Use at most %(max)s characters.") % {"max": 120}]
    if problems := slug_problems(slug):
        errors["slug"] = problems
    try:
        validate_email(email)
    except ValidationError:
        errors["email"] = [_("Enter a valid e-mail address.")]
    if problems := _plan_problems(plan_code):
        errors["plan"] = problems
    if not terms_accepted:
        errors["accept_terms"] = [_("You must accept the terms of service and the privacy notice.")]
    if ml_user_id is not None and ml_user_id <= 0:
        errors["ml_user_id"] = [_("A Mercado Livre user id is a positive number.")]
    if password is not None:
        try:
            validate_password(password, User(email=email))
        except ValidationError as exc:
            errors["password"] = list(exc.messages)
    if "slug" not in errors and Tenant.objects.filter(schema_name__iexact=slug).exists():
        errors["slug"] = [_("The address “%(slug)s” is taken; choose another.") % {"slug": slug}]
    elif "slug" not in errors and _schema_exists(slug):
        errors["slug"] = [_("“%(slug)s” is reserved; choose another address.") % {"slug": slug}]
    if "email" not in errors and Tenant.objects.filter(owner_email=email).exists():
        errors["email"] = [_("A store with this e-mail already exists; log in to it instead.")]
    if errors:
        raise TenantInvalid(errors)


def _plan_problems(plan_code: str) -> list[str]:
    if not plan_code:
        return [_("Choose a plan.")]
    if plan_get(plan_code) is None:
        return [_("There is no plan “%(plan)s”.") % {"plan": plan_code}]
    return []


def _schema_exists(slug: str) -> bool:
    """Whether a schema that is not a store already has this name, in either spelling (an
    extension's, a restore's scratch schema): a store must never be created on top of it."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT 1 FROM pg_namespace WHERE replace(lower(nspname), '_', '-') = %s",
            [slug_normal(slug)],
        )
        return cursor.fetchone() is not None


def _tenant_insert(
    *, name: str, slug: str, email: str, plan_code: str, ml_user_id: int | None
) -> Tenant:
    """Insert the row; the unique constraints decide races that validation could not see."""
    tenant = Tenant(
        schema_name=slug, name=name, owner_email=email, plan_code=plan_code, ml_user_id=ml_user_id
    )
    try:
        with transaction.atomic():
            tenant.save()
    except ValidationError as exc:  # TenantMixin's case-insensitive schema name check
        raise TenantSlugTaken(f"The address “{slug}” is taken; choose another.") from exc
    except IntegrityError as exc:
        constraint = getattr(getattr(exc.__cause__, "diag", None), "constraint_name", "") or ""
        if "schema_name" in constraint:
            raise TenantSlugTaken(f"The address “{slug}” is taken; choose another.") from exc
        if "owner_email" in constraint:
            raise TenantEmailTaken("A store with this e-mail already exists.") from exc
        if "ml_user_id" in constraint:
            raise MLUserIdTaken(
                f"Mercado Livre user {ml_user_id} is already connected to another store."
            ) from exc
        raise
    return tenant


def public_tenant_ensure() -> Tenant:
    """The row django-tenants routes the public host (``PEEPERS_BASE_DOMAIN``) to."""
    public = get_public_schema_name()
    tenant, _ = Tenant.objects.get_or_create(
        schema_name=public,
        defaults={"name": "Peepers", "owner_email": "staff@peepers.invalid", "plan_code": "-"},
    )
    Domain.objects.get_or_create(
        domain=settings.PEEPERS_BASE_DOMAIN, defaults={"tenant": tenant, "is_primary": True}
    )
    return tenant


def tenant_set_status(*, tenant: Tenant, status: TenantStatus) -> Tenant:
    """Suspend, reactivate or close a store. Closing keeps the data (offboarding is separate)."""
    if tenant.is_public:
        raise TenantError("The public tenant's status cannot change.", field="status")
    previous = tenant.status
    updated = Tenant.objects.filter(pk=tenant.pk).update(status=status, updated_at=timezone.now())
    if not updated:
        raise TenantError("The store no longer exists.", field="tenant_id")
    tenant.refresh_from_db()
    logger.info("tenant %s is now %s", tenant.schema_name, status)
    if previous != status:
        tenant_status_changed.send(sender=Tenant, tenant=tenant, previous=previous, status=status)
    return tenant
