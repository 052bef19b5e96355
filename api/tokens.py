"""Issuing, checking and revoking API tokens; creation and revocation are audited.

A token is ``ppk_<prefix>_<secret>``: the prefix finds the row (and is shown in Settings), the
SHA-256 of the whole token is what is stored and compared, in constant time. The secret is
returned once, by ``api_token_create``, and never again.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from api.errors import ApiTokenInvalid
from api.models import ApiToken
from compliance.audit.models import AuditAction
from compliance.audit.services import actor_for_user, audit_record
from users.models import User

TOKEN_SCHEME = "ppk"  # noqa: S105 (the tokens' visible prefix, not a secret)
PREFIX_BYTES = 6  # 8 url-safe characters
SECRET_BYTES = 32
NAME_MAX = 80
# ``last_used_at`` is written at most this often per token: reads stay reads.
LAST_USED_RESOLUTION = timedelta(minutes=1)


@dataclass(frozen=True)
class IssuedToken:
    token: ApiToken
    secret: str  # the whole ``ppk_…`` string, shown to the user once


def token_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def _prefix() -> str:
    # Letters and digits only, so the prefix never contains the separator.
    alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
    return "".join(secrets.choice(alphabet) for _ in range(8))


def api_token_create(
    *,
    user: User,
    name: str,
    expires_at: datetime | None = None,
    request: HttpRequest | None = None,
) -> IssuedToken:
    """A new token acting as ``user``; the secret is in the result and nowhere else."""
    name = name.strip()
    if not name:
        raise ApiTokenInvalid("Give the token a name, so you can tell it apart later.")
    if len(name) > NAME_MAX:
        raise ApiTokenInvalid(f"The name may have at most {NAME_MAX} characters.")
    if expires_at is not None and expires_at <= timezone.now():
        raise ApiTokenInvalid("The expiry date must be in the future.")
    prefix = _prefix()
    raw = f"{TOKEN_SCHEME}_{prefix}_{secrets.token_urlsafe(SECRET_BYTES)}"
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=user,
            name=name,
            prefix=prefix,
            secret_hash=token_hash(raw),
            expires_at=expires_at,
        )
        audit_record(
            action=AuditAction.KEY_ROTATION,
            actor=actor_for_user(user=user, request=request),
            request=request,
            obj=token,
            details={"event": "api_token_created", "name": name, "prefix": prefix},
        )
    return IssuedToken(token=token, secret=raw)


def api_token_revoke(
    *, token: ApiToken, user: User, request: HttpRequest | None = None
) -> ApiToken:
    """Revoke ``token`` (acting as ``user``); revoking a revoked token changes nothing."""
    with transaction.atomic():
        locked = ApiToken.objects.select_for_update().get(pk=token.pk)
        if locked.revoked_at is not None:
            return locked
        locked.revoked_at = timezone.now()
        locked.save(update_fields=["revoked_at"])
        audit_record(
            action=AuditAction.KEY_ROTATION,
            actor=actor_for_user(user=user, request=request),
            request=request,
            obj=locked,
            details={"event": "api_token_revoked", "name": locked.name, "prefix": locked.prefix},
        )
    return locked


def api_token_check(raw: str) -> ApiToken | None:
    """The usable token ``raw`` is, with its user loaded; None for anything else."""
    parts = raw.split("_", 2)
    if len(parts) != 3 or parts[0] != TOKEN_SCHEME or not parts[1] or not parts[2]:
        return None
    token = ApiToken.objects.select_related("user").filter(prefix=parts[1]).first()
    if token is None:
        # Same work as a hit, so the answer's timing does not tell prefixes apart.
        hmac.compare_digest(token_hash(raw), token_hash(""))
        return None
    if not hmac.compare_digest(token.secret_hash, token_hash(raw)):
        return None
    if not token.is_usable or not token.user.is_active:
        return None
    return token


def api_token_touch(*, token: ApiToken, now: datetime | None = None) -> None:
    """Record use, at most once per ``LAST_USED_RESOLUTION``."""
    now = now or timezone.now()
    if token.last_used_at is not None and now - token.last_used_at < LAST_USED_RESOLUTION:
        return
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    token.last_used_at = now


def api_tokens_of(*, user: User) -> list[ApiToken]:
    return list(ApiToken.objects.filter(user=user).order_by("-created_at", "-id"))
