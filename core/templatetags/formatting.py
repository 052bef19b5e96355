"""Formatting every page may use: grouped numbers, meter percentages, the top bar's links."""

from __future__ import annotations

from django import template
from django.utils import formats
from django.utils.html import format_html
from django.utils.safestring import mark_safe

register = template.Library()


@register.filter
def number(value: int | float | None) -> str:
    """Grouped in the active language: ``1.234`` in pt-BR, ``1,234`` in English."""
    return formats.number_format(value or 0, force_grouping=True)


@register.filter
def percent_of(used: int | float | None, limit: int | float | None) -> int:
    """``used`` as a whole percentage of ``limit``, capped at 100 (for meters)."""
    if not limit:
        return 0
    return min(100, round(100 * float(used or 0) / float(limit)))


@register.simple_tag(takes_context=True)
def nav_link(context: template.Context, path: str, label: str) -> str:
    """A top-bar link, marked ``aria-current="page"`` on its own section."""
    request = context.get("request")
    current = getattr(request, "path", "")
    active = current == path if path == "/" else current.startswith(path)
    return format_html(
        '<a href="{}"{}>{}</a>', path, mark_safe(' aria-current="page"') if active else "", label
    )


@register.filter
def get_item(mapping: dict[str, object] | None, key: str) -> object:
    return (mapping or {}).get(key)
