"""Staff sign-in to admin on the public host: the password, then a two-factor code when the
staff member has turned it on (``manage.py staff_two_factor enable``), which production
requires of every staff member (``PEEPERS_STAFF_TWO_FACTOR_REQUIRED``).

One form, so the admin keeps its own login view; the code is checked only after the
password, and a wrong one counts toward django-otp's backoff of the device like a store
user's does.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm

from accounts.selectors import two_factor_enabled
from accounts.services import two_factor_verify

ENABLE_COMMAND = "python manage.py staff_two_factor enable"


class StaffAuthenticationForm(AdminAuthenticationForm):
    code = forms.CharField(
        label="Two-factor code",
        required=False,
        max_length=32,
        help_text="The 6 digits from your authenticator app, or a backup code. "
        "Leave empty if two-factor is off for you.",
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )

    error_messages = {
        **AdminAuthenticationForm.error_messages,
        "code_required": "Enter the code from your authenticator app (or a backup code).",
        "code_invalid": "That code is not right. Enter the current code from the app.",
        "two_factor_required": "Staff must use two-factor authentication. Turn it on with "
        f"`{ENABLE_COMMAND} <your e-mail>` on a server, then sign in with a code.",
    }

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean()
        user = self.get_user()
        if user is None:
            return cleaned
        if not two_factor_enabled(user=user):
            if settings.PEEPERS_STAFF_TWO_FACTOR_REQUIRED:
                raise forms.ValidationError(
                    self.error_messages["two_factor_required"], code="two_factor_required"
                )
            return cleaned
        code = (cleaned.get("code") or "").strip()
        if not code:
            self.add_error("code", self.error_messages["code_required"])
            return cleaned
        device = two_factor_verify(user=user, code=code)
        if device is None:
            self.add_error("code", self.error_messages["code_invalid"])
            return cleaned
        # django-otp's user_logged_in receiver marks the new session verified by this device.
        user.otp_device = device  # type: ignore[attr-defined]
        return cleaned
