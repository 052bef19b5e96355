"""The signup form: shape checks only; the rules live in ``tenants.services``."""

from __future__ import annotations

from typing import Any

from django import forms

from core.money import brl
from tenants.plans import plan_catalogue
from tenants.slugs import SLUG_MAX_LENGTH


def _price(cents: int, currency: str) -> str:
    return brl(cents) if currency == "BRL" else f"{currency} {cents / 100:.2f}"


class SignupForm(forms.Form):
    name = forms.CharField(label="Store name", max_length=120)
    slug = forms.CharField(
        label="Store address",
        # Longer input is accepted here so the service can say exactly what is wrong with it.
        max_length=200,
        help_text=f"Lowercase letters, digits and hyphens, up to {SLUG_MAX_LENGTH} characters.",
        strip=False,
    )
    email = forms.EmailField(label="E-mail", max_length=254)
    password = forms.CharField(label="Password", widget=forms.PasswordInput, strip=False)
    # A plain field: unknown or missing codes are the service's to reject (same words as the CLI).
    plan = forms.CharField(label="Plan", required=False, widget=forms.Select)
    accept_terms = forms.BooleanField(
        label="I accept the terms of service and the privacy notice",
        required=False,  # the service says why it is needed, next to the box
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["plan"].widget.choices = [
            (plan.code, f"{plan.name} — {_price(plan.monthly_price_cents, plan.currency)}/month")
            for plan in plan_catalogue()
        ]
        self.fields["slug"].widget.attrs.update(
            {"autocapitalize": "none", "autocomplete": "off", "spellcheck": "false"}
        )
        self.fields["email"].widget.attrs.update({"autocomplete": "email"})
        self.fields["password"].widget.attrs.update({"autocomplete": "new-password"})
