"""Per-minute rollups of the Redis metrics (public schema): the history KPIs are read from."""

from __future__ import annotations

from django.db import models


class MetricMinute(models.Model):
    """One field of one metric in one minute: ``labels|count``, ``labels|le_500``..."""

    name = models.CharField(max_length=64)
    minute = models.DateTimeField()
    field = models.CharField(max_length=300)
    value = models.FloatField()

    class Meta:
        constraints = [
            models.UniqueConstraint("name", "minute", "field", name="metric_minute_once"),
        ]
        indexes = [models.Index(fields=["name", "minute"], name="metric_minute_name")]

    def __str__(self) -> str:
        return f"{self.name} {self.minute:%Y-%m-%d %H:%M} {self.field}={self.value}"
