from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def tenant(request: HttpRequest) -> dict[str, object]:
    """``store`` (the tenant, or None on the public host) and the base domain for templates."""
    current = getattr(request, "tenant", None)
    return {
        "store": None if current is None or current.is_public else current,
        "base_domain": settings.PEEPERS_BASE_DOMAIN,
    }
