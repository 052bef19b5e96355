"""What the Mercado Livre integration does when other apps signal a change."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from billing.signals import plan_changed
from integrations.mercadolivre.services import ml_accounts_fit_plan
from tenants.models import Tenant


@receiver(plan_changed, dispatch_uid="ml-accounts-fit-plan")
def accounts_fit_new_plan(sender: Any, *, tenant: Tenant, **_: Any) -> None:
    """A downgrade below the accounts a store holds pauses the excess (the seller chooses which
    stay active on the settings page)."""
    ml_accounts_fit_plan(tenant=tenant)
