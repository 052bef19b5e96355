"""Invitation links: Django's password-reset tokens under their own salt and lifetime.

A link stops working once the invited person sets a password (the hash covers it), after
``ACCOUNTS_INVITATION_DAYS``, and can never serve as a password-reset token or vice versa.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode

from users.models import User


class InvitationTokenGenerator(PasswordResetTokenGenerator):
    key_salt = "peepers.accounts.invitation"

    def __init__(self) -> None:
        super().__init__()
        self.timeout = settings.ACCOUNTS_INVITATION_DAYS * 24 * 60 * 60

    def _make_hash_value(self, user: User, timestamp: int) -> str:
        return f"{super()._make_hash_value(user, timestamp)}{user.is_active}"


invitation_tokens = InvitationTokenGenerator()


def invitation_path(user: User) -> str:
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    return f"/invite/{uid}/{invitation_tokens.make_token(user)}/"


def invited_user(uidb64: str, token: str) -> User | None:
    """The inactive user a valid invitation link names, else None."""
    try:
        pk = int(urlsafe_base64_decode(uidb64).decode())
    except (TypeError, ValueError, OverflowError, UnicodeDecodeError):
        return None
    user = User.objects.filter(
        pk=pk, is_active=False, invitations__accepted_at__isnull=True
    ).first()
    if user is None or not invitation_tokens.check_token(user, token):
        return None
    return user
