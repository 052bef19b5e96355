"""Public-schema records of the integrations: which store each Mercado Livre user belongs to,
and every attempt to connect one (the OAuth state and PKCE verifier live here, not in a browser
session, because the callback arrives on the public host while the flow starts on a store's)."""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models.functions import Now
from django.utils.translation import pgettext_lazy

from inbox.models import WebhookInbox
from tenants.models import Tenant


class MLConnectionStatus(models.TextChoices):
    ACTIVE = "active", "Connected"
    NEEDS_RECONNECTION = "needs_reconnection", "Needs reconnection"
    # Over the store's plan limit: notifications still route to the store (and are kept), its
    # tokens are not refreshed ahead.
    PAUSED = "paused", "Paused"


class MLConnection(models.Model):
    """The index webhooks route by: Mercado Livre user id → store (one store per ML user; a
    store may hold several). Holds no secrets."""

    ml_user_id = models.BigIntegerField(unique=True)
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="ml_connections")
    nickname = models.CharField(max_length=100, blank=True)
    status = models.CharField(
        max_length=24, choices=MLConnectionStatus.choices, default=MLConnectionStatus.ACTIVE
    )
    connected_at = models.DateTimeField()
    # When the store's access token expires, mirrored from the store's account: the scheduled
    # refresh finds the tokens due without visiting every store (null: not known yet).
    token_expires_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "Mercado Livre connection"
        indexes = [
            models.Index(
                fields=["token_expires_at"],
                condition=models.Q(status="active"),
                name="mlconnection_token_due",
            )
        ]

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


class NotificationStatus(models.TextChoices):
    # Shown per notification on the sync page. The context keeps these apart from the page's
    # filter chips (plural there: "Pendentes"); one notification (notificação) takes the
    # feminine singular.
    PENDING = "pending", pgettext_lazy("notification status", "Pending")
    PROCESSING = "processing", pgettext_lazy("notification status", "Processing")
    PROCESSED = "processed", pgettext_lazy("notification status", "Processed")
    IGNORED = "ignored", pgettext_lazy("notification status", "Ignored (topic not synced)")
    ORPHANED = (
        "orphaned",
        pgettext_lazy("notification status", "Orphaned (no store for this ML user)"),
    )
    DEAD = "dead", pgettext_lazy("notification status", "Dead (gave up; replayable)")


class MLNotification(WebhookInbox):
    """The inbox: every notification ML sent, stored before it is acknowledged.

    ``dedup_key`` (ML's ``_id``, else a hash of topic, resource, user, application and ML's
    ``received`` time, which a redelivery keeps while ``sent`` and ``attempts`` change) is
    unique, so a redelivery is absorbed by the insert itself. This row is the source of truth: the
    queue only carries its id, and the reconciler re-sends whatever stays pending.
    """

    dedup_key = models.CharField(max_length=80, unique=True)
    topic = models.CharField(max_length=64)
    resource = models.CharField(max_length=300)
    ml_user_id = models.BigIntegerField(db_index=True)
    application_id = models.CharField(max_length=40)
    attempts = models.IntegerField(default=1, help_text="ML's delivery attempt number.")
    sent_at = models.DateTimeField(null=True, blank=True)
    ml_received_at = models.DateTimeField(null=True, blank=True)
    source = models.CharField(max_length=16, default="webhook")
    status = models.CharField(
        max_length=16,
        choices=NotificationStatus.choices,
        default=NotificationStatus.PENDING,
        db_default=NotificationStatus.PENDING,
    )
    arrived_at = models.DateTimeField(db_default=Now())
    tenant = models.ForeignKey(
        Tenant, null=True, blank=True, on_delete=models.SET_NULL, related_name="ml_notifications"
    )

    ARRIVED_FIELD = "arrived_at"

    class Meta:
        ordering = ["-arrived_at"]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="mlnotif_status_next"),
            models.Index(fields=["topic", "arrived_at"], name="mlnotif_topic_arrived"),
            # The admin inbox: newest first, by status or store, and found by resource.
            models.Index(fields=["-arrived_at", "-id"], name="mlnotif_arrived"),
            models.Index(fields=["status", "-arrived_at", "-id"], name="mlnotif_status_arrived"),
            models.Index(fields=["tenant", "-arrived_at", "-id"], name="mlnotif_tenant_arrived"),
            models.Index(fields=["resource"], name="mlnotif_resource"),
        ]

    def __str__(self) -> str:
        return f"{self.topic} {self.resource} ({self.status})"
