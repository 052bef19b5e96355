"""The audit log: append-only records of security- and privacy-relevant actions.

One public table for every store and for staff, so it survives a store's deletion and can be
read in one place. Rows are written by ``compliance.audit.services.audit_record`` only; a
PostgreSQL trigger (migration 0002) refuses UPDATE and DELETE, and so does the model.
"""

from __future__ import annotations

from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models.functions import Now

from compliance.audit.errors import AuditEventImmutable
from tenants.models import Tenant


class AuditAction(models.TextChoices):
    """Event types. Add new ones at the end; the stored value is the contract."""

    LOGIN_SUCCEEDED = "login_succeeded", "Login succeeded"
    LOGIN_FAILED = "login_failed", "Login failed"
    LOGOUT = "logout", "Logout"
    STAFF_TENANT_ACCESS = "staff_tenant_access", "Staff viewed a store's data"
    DATA_EXPORT = "data_export", "Personal data exported"
    DATA_ERASURE = "data_erasure", "Personal data erased or anonymized"
    REFUND = "refund", "Refund made"
    CONSENT_GRANTED = "consent_granted", "Consent granted"
    CONSENT_REVOKED = "consent_revoked", "Consent revoked"
    KEY_ROTATION = "key_rotation", "Encryption or API keys rotated"
    ADMIN_PERMISSION_CHANGE = "admin_permission_change", "Admin permission changed"
    ACCESS_REVIEW = "access_review", "Access review run"
    STAFF_DISABLED = "staff_disabled", "Staff account disabled"
    AUDIT_REDACTION = "audit_redaction", "Audit entries redacted (data-subject erasure)"
    AUDIT_PURGE = "audit_purge", "Audit entries past retention deleted"
    TENANT_STATUS_CHANGED = "tenant_status_changed", "Store suspended, reactivated or closed"
    DSR_STATUS_CHANGED = "dsr_status_changed", "Data-subject request status changed by staff"
    ML_DISCONNECTED = "ml_disconnected", "Mercado Livre account disconnected"
    ML_ACCOUNT_PAUSED = "ml_account_paused", "Mercado Livre account paused"
    ML_ACCOUNT_ACTIVATED = "ml_account_activated", "Mercado Livre account made active"
    DSR_FILED = "dsr_filed", "Data-subject request filed"
    DSR_IDENTITY_VERIFIED = "dsr_identity_verified", "Data subject's identity verified"
    DSR_EXPORTS_WITHDRAWN = "dsr_exports_withdrawn", "Data-subject exports deleted after erasure"
    DSR_CONFIRMATION = "dsr_confirmation", "Erasure confirmation sent or left to send"


class ActorKind(models.TextChoices):
    USER = "user", "Store user"
    STAFF = "staff", "Staff"
    SYSTEM = "system", "System"
    ANONYMOUS = "anonymous", "Anonymous"


class AuditEvent(models.Model):
    """One action: when, what, who, for which store, on what, from where."""

    occurred_at = models.DateTimeField(db_default=Now(), editable=False)
    action = models.CharField(max_length=40, choices=AuditAction.choices)
    # No foreign key to users: the users table exists in every schema (staff in public, sellers
    # in theirs), so the actor is kept as plain values that mean the same in any schema.
    actor_kind = models.CharField(max_length=16, choices=ActorKind.choices)
    actor_id = models.CharField(max_length=64, blank=True)
    actor_email = models.CharField(max_length=254, blank=True)
    tenant = models.ForeignKey(
        Tenant, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Kept as plain values so a deleted store's events still say whose they were.
    tenant_public_id = models.UUIDField(null=True, blank=True)
    tenant_schema = models.CharField(max_length=63, blank=True)
    object_type = models.CharField(max_length=100, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=512, blank=True)
    host = models.CharField(max_length=255, blank=True)
    details = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        indexes = [
            models.Index(fields=["-occurred_at"], name="audit_event_when"),
            models.Index(fields=["action", "-occurred_at"], name="audit_event_action_when"),
            models.Index(fields=["tenant", "-occurred_at"], name="audit_event_tenant_when"),
            models.Index(
                fields=["tenant_public_id", "-occurred_at"], name="audit_event_store_when"
            ),
        ]

    def __str__(self) -> str:
        who = self.actor_email or self.actor_id or self.actor_kind
        return f"{self.get_action_display()} by {who}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AuditEventImmutable("audit events are append-only; this one cannot change")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AuditEventImmutable("audit events are append-only; this one cannot be deleted")
