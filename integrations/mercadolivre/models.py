"""A store's Mercado Livre account and its tokens (tenant schema; tokens encrypted at rest)."""

from __future__ import annotations

from django.db import models


class MLAccountStatus(models.TextChoices):
    ACTIVE = "active", "Connected"
    NEEDS_RECONNECTION = "needs_reconnection", "Needs reconnection"
    DISCONNECTED = "disconnected", "Disconnected"


class MLAccount(models.Model):
    """The seller account this store acts for. Token fields hold ciphertext (peepers.crypto)."""

    ml_user_id = models.BigIntegerField(unique=True)
    nickname = models.CharField(max_length=100, blank=True)
    site_id = models.CharField(max_length=8, blank=True)
    scope = models.CharField(max_length=200, blank=True)
    status = models.CharField(
        max_length=24, choices=MLAccountStatus.choices, default=MLAccountStatus.ACTIVE
    )
    access_token = models.TextField(blank=True)
    refresh_token = models.TextField(blank=True)
    access_expires_at = models.DateTimeField(null=True, blank=True)
    refreshed_at = models.DateTimeField(null=True, blank=True)
    connected_at = models.DateTimeField()
    connected_by = models.CharField(max_length=254, blank=True)
    needs_reconnection_since = models.DateTimeField(null=True, blank=True)
    disconnected_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "Mercado Livre account"

    def __str__(self) -> str:
        return f"{self.nickname or self.ml_user_id} ({self.status})"

    @property
    def is_usable(self) -> bool:
        return self.status == MLAccountStatus.ACTIVE and bool(self.access_token)
