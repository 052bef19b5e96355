"""Team invitations (each store's schema): who was invited, by whom, and whether they joined."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Invitation(models.Model):
    """One invitation e-mail. The invited user exists, inactive, until they set a password."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="invitations"
    )
    role = models.CharField(max_length=16)
    invited_by_email = models.EmailField(max_length=254, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    accepted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            # At most one open invitation per person: inviting again replaces it.
            models.UniqueConstraint(
                fields=["user"],
                condition=models.Q(accepted_at__isnull=True),
                name="accounts_invitation_one_open_per_user",
            ),
        ]

    def __str__(self) -> str:
        return f"invitation of user {self.user_id}"
