"""The consent ledger of a store's users (tenant schema): append-only grants and revocations.

Each row is evidence (LGPD Art. 8 §2: the burden of proof is the controller's): who, which
purpose, under which notice version, what they decided, when, through which channel, from which
address and browser. The latest row per user and purpose is the decision in force. The model
refuses updates and deletes, and so does a trigger in each store's schema (``guard.py``).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from compliance.consent.errors import ConsentRecordImmutable


# Both shown to the seller in the privacy center's consent history.
class ConsentAction(models.TextChoices):
    GRANTED = "granted", _("Granted")
    REVOKED = "revoked", _("Revoked")


class ConsentChannel(models.TextChoices):
    SIGNUP = "signup", _("Signup")
    PRIVACY_CENTER = "privacy_center", _("Privacy center")
    EMAIL_LINK = "email_link", _("E-mail link")
    # Recorded by Peepers' staff; the context keeps it apart from the "Admin" role.
    ADMIN = "admin", pgettext_lazy("consent channel", "Admin")


class ConsentRecord(models.Model):
    # PROTECT: users are deactivated or anonymized, never deleted while their evidence exists.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="consent_records"
    )
    # Plain values, not keys to the public notices tables: the evidence must read the same
    # even if a purpose is retired or the public catalogue is restored from another backup.
    purpose_code = models.CharField(max_length=64)
    notice_version = models.CharField(max_length=32)
    action = models.CharField(max_length=8, choices=ConsentAction.choices)
    occurred_at = models.DateTimeField(default=timezone.now, editable=False)
    channel = models.CharField(max_length=16, choices=ConsentChannel.choices)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=512, blank=True)

    class Meta:
        # Rows of one user are written under a lock on that user, so id order is decision order.
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["user", "purpose_code", "-id"], name="consent_user_purpose"),
        ]

    def __str__(self) -> str:
        return f"{self.purpose_code} {self.action} ({self.notice_version})"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise ConsentRecordImmutable("the consent ledger is append-only; rows never change")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise ConsentRecordImmutable("the consent ledger is append-only; rows are never deleted")
