"""Where card data could reach Peepers: the scan behind "no card field of ours" (PCI DSS SAQ A
scope, and one of the privacy-by-design measures)."""

from __future__ import annotations

import re
from pathlib import Path

from django.apps import apps
from django.conf import settings

# Model fields that would hold card data (numbers, security codes); a card's brand and last four
# digits are not cardholder data an SAQ A merchant must keep out.
_CARD_FIELD = re.compile(r"card_?num|cvv|cvc|security_code|(^|_)pan$", re.IGNORECASE)
_CARD_INPUTS = ('name="card', 'autocomplete="cc-number', 'autocomplete="cc-csc')


def card_data_surfaces() -> list[str]:
    """Our templates with card inputs, and model fields named for card numbers or security
    codes. Empty when checkout and the portal are Stripe's hosted pages only."""
    templates = Path(settings.BASE_DIR) / "templates"
    found = [
        f"template {path.relative_to(templates)}"
        for path in sorted(templates.rglob("*.html"))
        if any(marker in path.read_text() for marker in _CARD_INPUTS)
    ]
    for model in apps.get_models():
        found += [
            f"field {model._meta.label}.{f.name}"
            for f in model._meta.get_fields()
            if _CARD_FIELD.search(f.name)
        ]
    return found
