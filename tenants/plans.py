"""The plan catalogue as tenants see it: codes and names, read through a configured provider.

Billing owns the catalogue (``PEEPERS_PLAN_CATALOGUE`` names its selector); tenants only needs to
know which plan codes exist, so it never imports a feature app.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from django.conf import settings
from django.utils.module_loading import import_string


@dataclass(frozen=True)
class PlanSummary:
    code: str
    name: str
    monthly_price_cents: int
    currency: str


def plan_catalogue() -> Sequence[PlanSummary]:
    """Plans a new store may choose, cheapest first."""
    provider: Callable[[], Sequence[PlanSummary]] = import_string(settings.PEEPERS_PLAN_CATALOGUE)
    return provider()


def plan_get(code: str) -> PlanSummary | None:
    return next((plan for plan in plan_catalogue() if plan.code == code), None)
