"""The signup form: shape checks only; the rules live in ``tenants.services``."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.money import brl
from tenants.plans import plan_catalogue
from tenants.slugs import SLUG_MAX_LENGTH


def _price(cents: int, currency: str) -> str:
    return brl(cents) if currency == "BRL" else f"{currency} {cents / 100:.2f}"


class SignupForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Store name"), max_length=120)
    slug = forms.CharField(
        label=gettext_lazy("Store address"),
        # Longer input is accepted here so the service can say exactly what is wrong with it.
        max_length=200,
        help_text=format_lazy(
            gettext_lazy("Lowercase letters, digits and hyphens, up to {max} characters."),
            max=SLUG_MAX_LENGTH,
        ),
        strip=False,
    )
    email = forms.EmailField(label=gettext_lazy("E-mail"), max_length=254)
    password = forms.CharField(
        label=gettext_lazy("Password"), widget=forms.PasswordInput, strip=False
    )
    # A plain field: unknown or missing codes are the service's to reject (same words as the CLI).
    plan = forms.CharField(label=gettext_lazy("Plan"), required=False, widget=forms.Select)
    accept_terms = forms.BooleanField(
        label=gettext_lazy("I accept the terms of service and the privacy notice"),
        required=False,  # the service says why it is needed, next to the box
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["plan"].widget.choices = [
            (
                plan.code,
                _("%(plan)s — %(price)s/month")
                % {"plan": plan.name, "price": _price(plan.monthly_price_cents, plan.currency)},
            )
            for plan in plan_catalogue()
        ]
        self.fields["slug"].widget.attrs.update(
            {"autocapitalize": "none", "autocomplete": "off", "spellcheck": "false"}
        )
        self.fields["email"].widget.attrs.update({"autocomplete": "email"})
        self.fields["password"].widget.attrs.update({"autocomplete": "new-password"})
