"""``billing``: the store's entitlement for the banner in every page of its host."""

from __future__ import annotations

from django.http import HttpRequest

from billing.entitlements import Access, Entitlement


def billing(request: HttpRequest) -> dict[str, object]:
    entitlement: Entitlement | None = getattr(request, "entitlement", None)
    if entitlement is None:
        return {}
    banner = entitlement.access != Access.FULL or entitlement.status in (
        "past_due",
        "unpaid",
        "incomplete",
        "paused",
    )
    return {"entitlement": entitlement, "billing_banner": banner}
