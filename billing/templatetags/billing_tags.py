"""``{{ cents|brl }}``: integer centavos as ``R$ 1.234,56``."""

from __future__ import annotations

from django import template

from core.money import brl as brl_format

register = template.Library()


@register.filter
def brl(cents: int | None) -> str:
    return brl_format(int(cents or 0))
