"""``{% dpo_contact as dpo %}``: the encarregado managed in admin, for the privacy pages."""

from __future__ import annotations

from django import template

from compliance.selectors import DpoContact
from compliance.selectors import dpo_contact as current_dpo

register = template.Library()


@register.simple_tag
def dpo_contact() -> DpoContact:
    return current_dpo()
