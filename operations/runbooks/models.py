"""Every runbook step run: who ran it, when, what it printed and found, and the incident it
was run for (public schema: runbooks are about the platform, not one store)."""

from __future__ import annotations

from django.db import models

from operations.incidents.models import Incident


class RunOutcome(models.TextChoices):
    OK = "ok"
    FAILED = "failed"
    UNKNOWN = "unknown"


class RunbookRun(models.Model):
    runbook = models.CharField(max_length=64)
    action = models.CharField(max_length=16)
    # An OS user, a staff e-mail or "celery": users live in every store's schema, so a string.
    started_by = models.CharField(max_length=254)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=8, choices=RunOutcome.choices, default=RunOutcome.UNKNOWN)
    output = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)
    incident = models.ForeignKey(
        Incident,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="runbook_runs",
    )

    class Meta:
        ordering = ["-started_at", "-id"]
        indexes = [models.Index(fields=["runbook", "started_at"], name="runbook_run_started")]

    def __str__(self) -> str:
        return f"{self.runbook} {self.action} by {self.started_by}: {self.outcome}"
