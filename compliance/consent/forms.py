"""The privacy center's forms: one consent decision, and the confirmation of an erasure request."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from compliance.notices.selectors import purpose_list


class ConsentDecisionForm(forms.Form):
    purpose = forms.ChoiceField(label=_("Purpose"))
    decision = forms.ChoiceField(
        label=_("Decision"), choices=[("grant", _("Grant")), ("revoke", _("Revoke"))]
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        purpose_field = self.fields["purpose"]
        assert isinstance(purpose_field, forms.ChoiceField)
        purpose_field.choices = [(p.code, p.name) for p in purpose_list(needs_consent=True)]


class ErasureRequestForm(forms.Form):
    confirm = forms.BooleanField(
        label=_(
            "I understand that my account and personal data will be deleted or anonymized, "
            "except what the law requires Peepers to keep."
        ),
        error_messages={"required": _("Tick the box to confirm the request.")},
    )
