"""Two-factor enforcement: a user with a confirmed device is anonymous until verified.

The login views only log such a user in after a code (``accounts.views.auth`` on a store's
host, ``accounts.staff_login`` for admin); this covers the other ways a session can exist: one
opened before two-factor was turned on, or any future login path. On the public host, a staff
member without two-factor is anonymous too where policy requires it
(``PEEPERS_STAFF_TWO_FACTOR_REQUIRED``). After django-otp's ``OTPMiddleware``, which says
whether the session was verified.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.conf import settings
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
        if user is not None and tenant is not None:
            request.user = SimpleLazyObject(  # type: ignore[assignment]
                functools.partial(_verified_or_anonymous, user, staff=tenant.is_public)
            )
        return self.get_response(request)


def _verified_or_anonymous(user: Any, *, staff: bool) -> Any:
    if not user.is_authenticated or user.is_verified():
        return user
    # Staff where policy requires two-factor need a verified session either way: no query.
    if (staff and settings.PEEPERS_STAFF_TWO_FACTOR_REQUIRED) or two_factor_enabled(user=user):
        return _unverified()
    return user


def _unverified() -> AnonymousUser:
    anonymous = AnonymousUser()
    anonymous.is_verified = lambda: False  # type: ignore[attr-defined]
    return anonymous
