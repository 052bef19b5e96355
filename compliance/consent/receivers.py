"""Signals the consent app listens to (connected in ``ConsentConfig.ready``)."""

from __future__ import annotations

from typing import Any

from compliance.consent.guard import ledger_guard_install
from tenants.models import Tenant


def ledger_guard_for_new_store(sender: Any, *, tenant: Tenant, **kwargs: Any) -> None:
    """A cloned store has the ledger table but not its trigger (``guard.py``): install it.

    Nothing is recorded for consent purposes at signup: the signup form asks only to accept
    the terms (contract basis, kept as ``SignupAgreement``), so they start as "not granted".
    """
    ledger_guard_install(schema_name=tenant.schema_name)
