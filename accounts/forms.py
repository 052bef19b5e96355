"""Forms of the accounts pages: shape checks only; the rules live in ``accounts.services``."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.roles import ROLE_CHOICES
from users.models import Role


class CodeForm(forms.Form):
    """A two-factor code: six digits from the app, or a backup code."""

    code = forms.CharField(
        label=_("Code"),
        max_length=32,
        help_text=_("The 6-digit code from your authenticator app, or one of your backup codes."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["code"].widget.attrs.update(
            {
                "autocomplete": "one-time-code",
                "autocapitalize": "none",
                "spellcheck": "false",
                "autofocus": True,
            }
        )


class InviteForm(forms.Form):
    email = forms.EmailField(label=_("E-mail"), max_length=254)
    role = forms.ChoiceField(label=_("Role"), choices=ROLE_CHOICES, initial=Role.MEMBER.value)

    def __init__(self, *args: Any, can_grant_owner: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not can_grant_owner:
            role = self.fields["role"]
            assert isinstance(role, forms.ChoiceField)
            role.choices = [c for c in ROLE_CHOICES if c[0] != Role.OWNER]
        self.fields["email"].widget.attrs.update({"autocomplete": "off"})


class RoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=ROLE_CHOICES)


class StoreProfileForm(forms.Form):
    name = forms.CharField(label=_("Store name"), max_length=120)
    owner_email = forms.EmailField(
        label=_("Contact e-mail"),
        max_length=254,
        help_text=_("Where Peepers writes about your store, its billing and its data."),
    )

    def __init__(self, *args: Any, read_only: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner_email"].widget.attrs.update({"autocomplete": "email"})
        if read_only:
            for field in self.fields.values():
                field.disabled = True
