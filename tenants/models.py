"""Tenants and their domains (public schema). A tenant is one seller's store and schema."""

from __future__ import annotations

import uuid
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django_tenants.models import DomainMixin, TenantMixin


class TenantStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    SUSPENDED = "suspended", "Suspended"
    CLOSED = "closed", "Closed"


class Tenant(TenantMixin):
    """One seller's store. Its ``schema_name`` is its slug and its subdomain."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(max_length=120)
    status = models.CharField(
        max_length=16, choices=TenantStatus.choices, default=TenantStatus.ACTIVE, db_index=True
    )
    ml_user_id = models.BigIntegerField(null=True, blank=True, unique=True)
    owner_email = models.EmailField(max_length=254)
    plan_code = models.CharField(max_length=32)
    is_small_agent = models.BooleanField(
        default=False,
        help_text="A small processing agent (Res. CD/ANPD 2/2022): data-subject request "
        "deadlines are doubled.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    # Schemas are created by tenants.provisioning inside the creating transaction, never by save().
    auto_create_schema = False
    auto_drop_schema = False

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(Lower("owner_email"), name="tenant_owner_email_unique_ci"),
        ]
        # The admin store list: ordered by name, filtered by plan.
        indexes = [
            models.Index(fields=["name", "id"], name="tenant_name"),
            models.Index(fields=["plan_code", "name", "id"], name="tenant_plan_name"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.schema_name})"

    @property
    def slug(self) -> str:
        return self.schema_name

    @property
    def is_public(self) -> bool:
        from django_tenants.utils import get_public_schema_name

        return bool(self.schema_name == get_public_schema_name())

    @property
    def time_zone(self) -> ZoneInfo:
        """Where the store's calendar days begin and end: its legal deadlines, its dates.

        Every store is in ``PEEPERS_SELLER_TIME_ZONE`` (America/Sao_Paulo) until stores choose.
        """
        return ZoneInfo(settings.PEEPERS_SELLER_TIME_ZONE)


class Domain(DomainMixin):
    """A host name served by a tenant: ``<slug>.<PEEPERS_BASE_DOMAIN>``."""

    def __str__(self) -> str:
        return self.domain


class SignupAgreement(models.Model):
    """Evidence that a store's owner accepted the terms and the privacy notice at signup."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="agreements")
    email = models.EmailField(max_length=254)
    terms_version = models.CharField(max_length=32)
    privacy_notice_version = models.CharField(max_length=32)
    accepted_at = models.DateTimeField()
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=512, blank=True)
    channel = models.CharField(max_length=16, help_text="signup page or create_tenant command")

    class Meta:
        ordering = ["-accepted_at"]

    def __str__(self) -> str:
        return f"{self.email} accepted terms {self.terms_version} on {self.accepted_at:%Y-%m-%d}"
