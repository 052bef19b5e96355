"""Reads other parts of Peepers need from compliance."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings

from compliance.models import DataProtectionOfficer


@dataclass(frozen=True)
class DpoContact:
    name: str
    email: str
    phone: str


def dpo_contact() -> DpoContact:
    """The DPO managed in admin, or the configured address until staff enter one."""
    dpo = DataProtectionOfficer.objects.order_by("-updated_at").first()
    if dpo is not None:
        return DpoContact(name=dpo.name, email=dpo.email, phone=dpo.phone)
    fallback = getattr(settings, "PEEPERS_DPO_CONTACT", "")
    return DpoContact(name="Encarregado de dados", email=str(fallback), phone="")
