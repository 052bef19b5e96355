"""Holds a store to what its subscription allows, on every request to its host.

Blocked: every page but billing (and login/logout) redirects to the billing page. Read-only:
pages work, writes are refused with the reason and an upgrade link (a message and a
redirect). The REST API under /api/ enforces the same rules itself, in its error shape.
Public-host requests pass through.
"""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from billing.entitlements import UPGRADE_PATH, Access, entitlements_for

EXEMPT_PREFIXES = (
    "/billing/",
    "/login/",
    "/logout/",
    "/welcome/",
    # Getting into one's account: password reset, invitations.
    "/password-reset/",
    "/reset/",
    "/invite/",
    # The REST API checks entitlements itself (api/permissions.py), in its own error shape,
    # and lets a blocked store read its subscription and make privacy requests.
    "/api/",
    "/legal/",
    "/static/",
    # Data-subject rights do not depend on paying (LGPD Art. 18).
    "/privacy/",
    # Taking access away is always allowed.
    "/settings/mercado-livre/disconnect",
)
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class EntitlementMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        tenant = getattr(request, "tenant", None)
        if tenant is None or tenant.is_public:
            return self.get_response(request)
        entitlement = entitlements_for(tenant=tenant)
        request.entitlement = entitlement  # type: ignore[attr-defined]
        if request.path.startswith(EXEMPT_PREFIXES):
            return self.get_response(request)
        refused = entitlement.access == Access.BLOCKED or (
            entitlement.access == Access.READ_ONLY and request.method not in SAFE_METHODS
        )
        if not refused:
            return self.get_response(request)
        messages.warning(request, entitlement.reason)
        return redirect(UPGRADE_PATH)
