"""Where each rule stands, per scope, between evaluations; and the rule file in force."""

from __future__ import annotations

from django.db import models


class AlertStatus(models.TextChoices):
    OK = "ok", "OK"
    PENDING = "pending", "Pending"
    FIRING = "firing", "Firing"
    UNKNOWN = "unknown", "Unknown (no data)"


class AlertState(models.Model):
    """One rule in one scope ("" = global): the evaluator's memory of it."""

    rule = models.CharField(max_length=64)
    scope = models.CharField(max_length=200, blank=True)
    status = models.CharField(max_length=8, choices=AlertStatus.choices, default=AlertStatus.OK)
    since = models.DateTimeField(help_text="When the status last changed.")
    pending_since = models.DateTimeField(null=True, blank=True)
    consecutive = models.PositiveIntegerField(default=0)
    clear_since = models.DateTimeField(null=True, blank=True)
    value = models.FloatField(null=True, blank=True)
    samples = models.PositiveIntegerField(default=0)
    detail = models.CharField(max_length=500, blank=True)
    evaluated_at = models.DateTimeField()
    # Times it started and stopped firing in the last hours: many of them is flapping.
    transitions = models.JSONField(default=list, blank=True)
    incident = models.ForeignKey(
        "incidents.Incident", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [models.UniqueConstraint("rule", "scope", name="alert_state_once")]
        ordering = ["rule", "scope"]

    def __str__(self) -> str:
        return f"{self.rule}{f' [{self.scope}]' if self.scope else ''}: {self.status}"


class RuleFile(models.Model):
    """The last rule file that loaded (still in force if the file on disk breaks), and the
    error of the last attempt that did not. One row."""

    text = models.TextField()
    checksum = models.CharField(max_length=64)
    loaded_at = models.DateTimeField()
    error = models.TextField(blank=True)
    error_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"rules {self.checksum[:12]} loaded {self.loaded_at:%Y-%m-%d %H:%M}"
