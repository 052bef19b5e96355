"""Two-factor enforcement: a store user with a confirmed device is anonymous until verified.

The login view only logs such a user in after a code (``accounts.views.auth``); this covers the
other ways a session can exist: one opened before two-factor was turned on, or any future login
path. After django-otp's ``OTPMiddleware``, which says whether the session was verified.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest, HttpResponse
from django.utils.functional import SimpleLazyObject

from accounts.selectors import two_factor_enabled


class TwoFactorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        tenant = getattr(request, "tenant", None)
        user = getattr(request, "user", None)
        if user is not None and tenant is not None and not tenant.is_public:
            request.user = SimpleLazyObject(  # type: ignore[assignment]
                functools.partial(_verified_or_anonymous, user)
            )
        return self.get_response(request)


def _verified_or_anonymous(user: Any) -> Any:
    if not user.is_authenticated:
        return user
    if user.is_verified() or not two_factor_enabled(user=user):
        return user
    anonymous = AnonymousUser()
    anonymous.is_verified = lambda: False  # type: ignore[attr-defined]
    return anonymous
