"""The plan catalogue (public schema). Prices are integer centavos."""

from __future__ import annotations

from django.db import models


class Plan(models.Model):
    code = models.SlugField(max_length=32, unique=True)
    name = models.CharField(max_length=80)
    monthly_price_cents = models.PositiveIntegerField()
    currency = models.CharField(max_length=3, default="BRL")
    trial_days = models.PositiveSmallIntegerField(default=14)
    is_public = models.BooleanField(
        default=True, help_text="Offered on the signup page; hidden plans stay assignable by staff."
    )
    sort_order = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["sort_order", "monthly_price_cents"]

    def __str__(self) -> str:
        return self.name
