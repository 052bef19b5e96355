"""Scheduled maintenance (public schema): each job's runs, the watchdog's clock, daily numbers."""

from __future__ import annotations

from datetime import timedelta

from django.db import models


class Outcome(models.TextChoices):
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class MaintenanceRun(models.Model):
    """One run of one maintenance job: when, how it ended, what it found, who started it."""

    job = models.CharField(max_length=64)
    task = models.CharField(max_length=100, help_text="The Celery task that runs this job.")
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=16, choices=Outcome.choices, default=Outcome.RUNNING)
    summary = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    triggered_by = models.CharField(
        max_length=254, help_text="Beat task, command or the staff member who clicked Run now."
    )

    class Meta:
        ordering = ["-started_at", "-id"]
        indexes = [models.Index(fields=["job", "-started_at"], name="maint_run_job_started")]
        constraints = [
            # One run in progress per job: a second start is refused, not run alongside.
            models.UniqueConstraint(
                fields=["job"],
                condition=models.Q(outcome="running"),
                name="maint_run_one_running_per_job",
            )
        ]

    def __str__(self) -> str:
        return f"{self.job} {self.started_at:%Y-%m-%d %H:%M} {self.outcome}"

    @property
    def duration(self) -> timedelta | None:
        return self.finished_at - self.started_at if self.finished_at else None


class MaintenanceJob(models.Model):
    """When the watchdog began expecting a job: a job that never ran counts from here."""

    name = models.CharField(max_length=64, unique=True)
    watched_since = models.DateTimeField()

    def __str__(self) -> str:
        return self.name


class DailySnapshot(models.Model):
    """The business and capacity numbers of one UTC day, written by ``process_analytics``."""

    day = models.DateField(unique=True)
    taken_at = models.DateTimeField()
    tenants_total = models.PositiveIntegerField(default=0)
    tenants_by_status = models.JSONField(default=dict)
    tenants_by_plan = models.JSONField(default=dict)
    subscriptions_by_status = models.JSONField(default=dict)
    mrr_cents = models.BigIntegerField(
        default=0, help_text="Trialing and active subscriptions, monthly plan prices (BRL)."
    )
    arr_cents = models.BigIntegerField(default=0)
    past_due_mrr_cents = models.BigIntegerField(
        default=0, help_text="Monthly value of past_due subscriptions, not in MRR."
    )
    ml_api_calls = models.BigIntegerField(default=0)
    ml_notifications = models.BigIntegerField(default=0)
    stripe_events = models.BigIntegerField(default=0)
    per_tenant = models.JSONField(
        default=dict, help_text='schema -> {"ml_api_calls", "items", "orders", "ml_accounts"}'
    )
    ml_accounts_by_status = models.JSONField(
        default=dict, help_text="Connected Mercado Livre accounts by status (not disconnected)."
    )
    stores_ml_connected = models.PositiveIntegerField(
        default=0, help_text="Stores holding at least one connected Mercado Livre account."
    )
    stores_several_ml_accounts = models.PositiveIntegerField(
        default=0, help_text="Stores holding more than one connected Mercado Livre account."
    )
    schema_count = models.PositiveIntegerField(default=0)
    database_bytes = models.BigIntegerField(default=0)
    rows_estimate = models.BigIntegerField(default=0)
    backup_bytes = models.BigIntegerField(default=0)

    class Meta:
        ordering = ["-day"]

    def __str__(self) -> str:
        return f"snapshot {self.day}"
