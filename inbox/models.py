"""The ledger row every inbound-webhook inbox stores: status, tries, timings and the last error.

A provider's model inherits ``WebhookInbox``, adds what identifies its deliveries (Stripe's
event id, ML's dedup key), its tenant link and its own status labels over ``InboxStatus``.
"""

from __future__ import annotations

from typing import ClassVar

from django.db import models


class InboxStatus(models.TextChoices):
    """The stored states every ledger shares; a provider's choices carry these values."""

    PENDING = "pending", "Pending"
    PROCESSING = "processing", "Processing"
    PROCESSED = "processed", "Processed"
    IGNORED = "ignored", "Ignored"
    ORPHANED = "orphaned", "Orphaned"
    DEAD = "dead", "Dead"


# Finished with: nothing more will happen to these rows unless staff replay them.
FINISHED = (InboxStatus.PROCESSED, InboxStatus.IGNORED, InboxStatus.ORPHANED)


class WebhookInbox(models.Model):
    """One stored delivery. ``pending`` waits for a worker (``next_attempt_at`` says when a retry
    is due), ``processing`` is claimed, then processed, ignored, orphaned (no store) or dead."""

    payload = models.JSONField()
    status = models.CharField(
        max_length=16,
        choices=InboxStatus.choices,
        default=InboxStatus.PENDING,
        db_default=InboxStatus.PENDING,
    )
    enqueued_at = models.DateTimeField(null=True, blank=True)
    processing_started_at = models.DateTimeField(null=True, blank=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    tries = models.IntegerField(default=0, db_default=0, help_text="Our processing attempts.")
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True, default="", db_default="")

    # The column holding the moment the delivery arrived (ordering, latency).
    ARRIVED_FIELD: ClassVar[str]
    # Stored states a worker may claim; a provider adds values earlier releases wrote.
    WAITING_STATUSES: ClassVar[tuple[str, ...]] = (InboxStatus.PENDING,)

    class Meta:
        abstract = True
