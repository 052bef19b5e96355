"""Public-schema records of the integrations: which store each Mercado Livre user belongs to,
and every attempt to connect one (the OAuth state and PKCE verifier live here, not in a browser
session, because the callback arrives on the public host while the flow starts on a store's)."""

from __future__ import annotations

import uuid

from django.db import models

from tenants.models import Tenant


class MLConnectionStatus(models.TextChoices):
    ACTIVE = "active", "Connected"
    NEEDS_RECONNECTION = "needs_reconnection", "Needs reconnection"


class MLConnection(models.Model):
    """The index webhooks route by: Mercado Livre user id → store. Holds no secrets."""

    ml_user_id = models.BigIntegerField(unique=True)
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="ml_connections")
    nickname = models.CharField(max_length=100, blank=True)
    status = models.CharField(
        max_length=24, choices=MLConnectionStatus.choices, default=MLConnectionStatus.ACTIVE
    )
    connected_at = models.DateTimeField()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "Mercado Livre connection"

    def __str__(self) -> str:
        return f"{self.nickname or self.ml_user_id} → {self.tenant.schema_name}"


class MLAuthorizationOutcome(models.TextChoices):
    PENDING = "pending", "Pending"
    CONNECTED = "connected", "Connected"
    DENIED = "denied", "Denied by the seller"
    FAILED = "failed", "Failed"


class MLAuthorization(models.Model):
    """One "Connect Mercado Livre" attempt, from the authorization redirect to the callback."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="ml_authorizations")
    started_by = models.CharField(max_length=254, help_text="Store user's e-mail, or 'staff'.")
    code_verifier = models.TextField(help_text="PKCE verifier, encrypted.")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    completed_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(
        max_length=16,
        choices=MLAuthorizationOutcome.choices,
        default=MLAuthorizationOutcome.PENDING,
    )
    ml_user_id = models.BigIntegerField(null=True, blank=True)
    error = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["created_at", "outcome"])]

    def __str__(self) -> str:
        return f"{self.tenant.schema_name} {self.outcome} {self.created_at:%Y-%m-%d %H:%M}"
