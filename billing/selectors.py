"""Reads of billing data that other apps need."""

from __future__ import annotations

from billing.models import Plan
from tenants.plans import PlanSummary


def plan_catalogue() -> list[PlanSummary]:
    """Plans offered to new stores (``PEEPERS_PLAN_CATALOGUE``)."""
    return [
        PlanSummary(
            code=plan.code,
            name=plan.name,
            monthly_price_cents=plan.monthly_price_cents,
            currency=plan.currency,
        )
        for plan in Plan.objects.filter(is_public=True)
    ]
