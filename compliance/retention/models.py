"""Retention policies per data category, the runs that enforce them, and store offboardings.

All public schema: a policy applies to every store, a run reports on every store, and an
offboarding outlives the store's schema (it is the record that the schema was dropped).
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models

from tenants.models import Tenant


class RetentionCategory(models.TextChoices):
    """The data categories a policy can hold; each one's enforcer is registered by the app whose
    data it is (``compliance.retention.enforcement``)."""

    ORDER_BUYER_DATA = "order_buyer_data", "Buyer data on orders (anonymized, order kept)"
    BUYER_QUESTIONS = "buyer_questions", "Questions from buyers"
    ML_WEBHOOK_INBOX = "ml_webhook_inbox", "Mercado Livre webhook inbox"
    STRIPE_WEBHOOK_INBOX = "stripe_webhook_inbox", "Stripe webhook inbox"
    AUDIT_ACCESS_LOG = "audit_access_log", "Audit and access log"
    SUBJECT_EXPORTS = "subject_exports", "Data-subject export files"
    CLOSED_STORES = "closed_stores", "Closed stores' schemas (after a final export)"


# Floors a staff edit cannot go below: the law requires keeping the data at least this long.
MINIMUM_DAYS: dict[str, int] = {
    # Fiscal records: 5 years (CTN Art. 173/195); orders are kept under LGPD Art. 16 I.
    RetentionCategory.ORDER_BUYER_DATA: 1825,
    # Access logs: 6 months (Marco Civil da Internet, Lei 12.965/2014, Art. 15).
    RetentionCategory.AUDIT_ACCESS_LOG: 183,
}


class RetentionPolicy(models.Model):
    """How long one category of data is kept; staff edit it in admin."""

    category = models.CharField(max_length=32, choices=RetentionCategory.choices, unique=True)
    keep_days = models.PositiveIntegerField(help_text="Days the data is kept before it goes.")
    active = models.BooleanField(default=True, help_text="Inactive policies are not enforced.")
    legal_basis = models.TextField(blank=True, help_text="Why this period: the law or reason.")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["category"]
        verbose_name_plural = "retention policies"

    def __str__(self) -> str:
        return f"{self.get_category_display()}: {self.keep_days} days"

    def clean(self) -> None:
        floor = MINIMUM_DAYS.get(self.category, 1)
        if self.keep_days is not None and self.keep_days < floor:
            raise ValidationError(
                {"keep_days": f"The law requires keeping this data at least {floor} days."}
            )


class RunStatus(models.TextChoices):
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Finished with errors"


class RetentionRun(models.Model):
    """One enforcement run and its report: what each category removed in each store."""

    as_of = models.DateTimeField(help_text="The moment periods are counted back from.")
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    dry_run = models.BooleanField(default=False)
    status = models.CharField(max_length=12, choices=RunStatus.choices, default=RunStatus.RUNNING)
    origin = models.CharField(max_length=254, help_text="beat, the command, or a staff member.")
    categories = models.JSONField(default=list, help_text="Categories this run covered.")
    counts = models.JSONField(
        default=dict, help_text="{category: {store schema or 'public': rows removed}}"
    )
    outcomes = models.JSONField(
        default=dict, help_text="{category: what happened (enforced, inactive, skipped: why)}"
    )
    errors = models.JSONField(default=list)

    class Meta:
        ordering = ["-started_at"]

    def __str__(self) -> str:
        kind = "dry run" if self.dry_run else "run"
        return f"Retention {kind} {self.started_at:%Y-%m-%d %H:%M} ({self.status})"


class StoreOffboarding(models.Model):
    """A closed store's way out: final export, owner told, schema dropped; each step once.

    Keyed by the store's public id, and kept after the tenant row goes (``tenant`` SET_NULL),
    so a second run resumes at the first step not done and never repeats a finished one.
    """

    tenant = models.OneToOneField(
        Tenant, null=True, blank=True, on_delete=models.SET_NULL, related_name="offboarding"
    )
    tenant_public_id = models.UUIDField(unique=True)
    schema_name = models.CharField(max_length=63)
    actor = models.CharField(max_length=254, help_text="Who started it: a run or a staff member.")
    request = models.ForeignKey(
        "compliance.DataSubjectRequest",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The owner's final portability export.",
    )
    export_path = models.CharField(max_length=500, blank=True)
    started_at = models.DateTimeField(auto_now_add=True)
    exported_at = models.DateTimeField(null=True, blank=True)
    notified_at = models.DateTimeField(null=True, blank=True)
    schema_dropped_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at"]

    def __str__(self) -> str:
        state = "schema dropped" if self.schema_dropped_at else "in progress"
        return f"Offboarding of {self.schema_name} ({state})"
