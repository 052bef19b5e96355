"""Money as Brazilian sellers read it: integer centavos shown as ``R$ 1.234,56``."""

from __future__ import annotations


def brl(cents: int) -> str:
    """``R$ 1.234,56`` whatever the page's language (negative amounts with a leading minus)."""
    sign = "-" if cents < 0 else ""
    reais, rest = divmod(abs(cents), 100)
    grouped = f"{reais:,}".replace(",", ".")
    return f"{sign}R$ {grouped},{rest:02d}"
