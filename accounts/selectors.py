"""Reads of the accounts app: the team, two-factor state."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q, QuerySet
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import Invitation
from users.models import User


def two_factor_enabled(*, user: User) -> bool:
    """Whether ``user`` confirmed an authenticator app (backup codes come with it)."""
    return bool(TOTPDevice.objects.filter(user=user, confirmed=True).exists())


def backup_codes_left(*, user: User) -> int:
    device = StaticDevice.objects.filter(user=user, confirmed=True).first()
    return int(device.token_set.count()) if device is not None else 0


def team_members() -> QuerySet[User]:
    """The store's team: active users and invited ones who have not accepted yet.

    Each carries ``invitation_pending``. Removed users (inactive, no open invitation) are left
    out; their rows stay because consent records point at them.
    """
    pending = Invitation.objects.filter(user=OuterRef("pk"), accepted_at__isnull=True)
    return (
        User.objects.annotate(invitation_pending=Exists(pending))
        .filter(Q(is_active=True) | Q(invitation_pending=True))
        .order_by("email")
    )
