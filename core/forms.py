"""Form pieces every app may use: a date typed the Brazilian way (``dd/mm/aaaa``) whatever the
browser's or the page's language."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

BR_DATE_FORMAT = "%d/%m/%Y"
ISO_DATE_FORMAT = "%Y-%m-%d"


class BrazilianDateInput(forms.TextInput):
    """A numeric text input showing ``dd/mm/aaaa``. Not ``type="date"``: a browser in English
    renders and expects that one as mm/dd/yyyy. An ISO value (from a link) is shown as
    ``dd/mm/aaaa``; anything else is shown as typed, so a mistake can be corrected."""

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(
            {
                "inputmode": "numeric",
                "placeholder": _("dd/mm/yyyy"),
                "pattern": r"\d{1,2}/\d{1,2}/\d{4}",
                "maxlength": "10",
                "autocomplete": "off",
                **(attrs or {}),
            }
        )

    def format_value(self, value: Any) -> str | None:
        if isinstance(value, datetime):
            value = value.date()
        if isinstance(value, date):
            return value.strftime(BR_DATE_FORMAT)
        if isinstance(value, str):
            try:
                return datetime.strptime(value.strip(), ISO_DATE_FORMAT).strftime(BR_DATE_FORMAT)
            except ValueError:
                pass
        return super().format_value(value)


class BrazilianDateField(forms.DateField):
    """A date typed as ``dd/mm/aaaa``; ``aaaa-mm-dd`` is accepted too, for links and bookmarks
    that carry an ISO date."""

    widget = BrazilianDateInput
    input_formats = [BR_DATE_FORMAT, ISO_DATE_FORMAT]
    default_error_messages = {"invalid": _("Enter a date as dd/mm/yyyy.")}
