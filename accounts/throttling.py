"""Login throttling with django-axes: who a login attempt is, and what a locked-out one sees.

Failures are counted per e-mail and client address in the ``axes`` tables of the schema the
attempt was made on (a store's, or public for staff), so lockouts never cross stores.
"""

from __future__ import annotations

from typing import Any

from axes.backends import AxesStandaloneBackend
from axes.helpers import get_cool_off
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from core.network import client_ip


class LoginThrottleBackend(AxesStandaloneBackend):  # type: ignore[misc]
    """Axes' gate, first of the backends. A login without a request (``Client.login`` in
    tests, a shell) has no address to throttle and no form to lock: it passes through."""

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> None:
        if request is not None:
            super().authenticate(request, username=username, password=password, **kwargs)


def claimed_username(request: HttpRequest, credentials: dict[str, Any] | None) -> str:
    """The e-mail an attempt claims, as the user manager stores it (case-insensitive)."""
    value = (credentials or {}).get("username")
    if value is None:
        value = getattr(request, "POST", {}).get("username", "")
    return str(value or "").strip().lower()


def client_address(request: HttpRequest) -> str:
    """The client's address behind our trusted proxies, as the audit log records it."""
    return client_ip(request) or ""


def lockout_response(
    request: HttpRequest,
    original_response: HttpResponse | None = None,
    credentials: dict[str, Any] | None = None,
) -> HttpResponse:
    """The lockout page: 429, how long to wait, and the way out (reset the password)."""
    cool_off = get_cool_off(request)
    minutes = int(cool_off.total_seconds() // 60) if cool_off else None
    return render(
        request,
        "accounts/locked_out.html",
        {"minutes": minutes, "failure_limit": settings.AXES_FAILURE_LIMIT},
        status=429,
    )
