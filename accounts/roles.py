"""Team roles as sellers read them (translated); stored values are ``users.Role``."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from users.models import Role

ROLE_CHOICES = [
    (Role.OWNER.value, _("Owner")),
    (Role.ADMIN.value, _("Admin")),
    (Role.MEMBER.value, _("Member")),
]


def role_label(role: str) -> str:
    return str(dict(ROLE_CHOICES).get(role, role))
