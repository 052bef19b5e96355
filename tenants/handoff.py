"""The signup hand-off: a one-use, short-lived token that logs a new owner in on their store.

Made on the public host right after signup, consumed once on the store's own host.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.utils.translation import gettext as _
from django_tenants.utils import tenant_context

from tenants.errors import HandoffTokenInvalid, HandoffUserUnavailable
from tenants.models import Tenant
from users.models import User

HANDOFF_SALT = "peepers.tenants.handoff"


def _max_age() -> int:
    return int(settings.PEEPERS_SIGNUP_HANDOFF_MAX_AGE)


def handoff_token_make(*, tenant: Tenant, user: User) -> str:
    """A signed token naming ``user`` of ``tenant``, with a nonce so it can be used once."""
    return signing.dumps(
        {"user": user.pk, "tenant": str(tenant.public_id), "nonce": secrets.token_urlsafe(16)},
        salt=HANDOFF_SALT,
    )


def handoff_token_consume(*, token: str, tenant: Tenant) -> User:
    """The active user ``token`` names in ``tenant``; the token cannot be used again.

    Raises ``HandoffTokenInvalid`` for a tampered, expired, reused or other store's token, and
    ``HandoffUserUnavailable`` when its user is gone or inactive.
    """
    expired = _("That sign-in link has expired. Log in with your e-mail and password.")
    max_age = _max_age()
    try:
        payload = signing.loads(token, salt=HANDOFF_SALT, max_age=max_age)
    except signing.BadSignature as exc:  # SignatureExpired included
        raise HandoffTokenInvalid(expired) from exc
    if not isinstance(payload, dict) or payload.get("tenant") != str(tenant.public_id):
        raise HandoffTokenInvalid(expired)
    with tenant_context(tenant):
        # Single use: the first consumer claims the nonce (the cache key is tenant-scoped).
        if not cache.add(f"handoff:{payload.get('nonce')}", 1, timeout=max_age * 2):
            raise HandoffTokenInvalid(expired)
        user_pk = payload.get("user")
        user = (
            User.objects.filter(pk=user_pk, is_active=True).first()
            if isinstance(user_pk, int)
            else None
        )
    if user is None:
        raise HandoffUserUnavailable(expired)
    return user
