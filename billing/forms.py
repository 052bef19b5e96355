"""The staff refund form."""

from __future__ import annotations

import uuid
from decimal import Decimal

from django import forms

from billing.models import InvoiceRecord, RefundReason
from core.money import brl


class RefundForm(forms.Form):
    request_id = forms.UUIDField(widget=forms.HiddenInput, initial=uuid.uuid4)
    amount = forms.DecimalField(
        label="Amount (R$)",
        max_digits=12,
        decimal_places=2,
        min_value=Decimal("0.01"),
        help_text="Leave the full amount for a full refund.",
    )
    reason = forms.ChoiceField(choices=RefundReason.choices)
    note = forms.CharField(
        max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 3}), label="Note"
    )

    def __init__(self, *args: object, invoice: InvoiceRecord, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.invoice = invoice
        self.fields["amount"].initial = Decimal(invoice.refundable_cents) / 100
        self.fields["amount"].help_text = (
            f"At most {brl(invoice.refundable_cents)} (paid {brl(invoice.amount_paid)}, "
            f"refunded {brl(invoice.amount_refunded)})."
        )

    def clean_amount(self) -> int:
        cents = int(self.cleaned_data["amount"] * 100)
        if cents > self.invoice.refundable_cents:
            raise forms.ValidationError(
                f"At most {brl(self.invoice.refundable_cents)} can be refunded."
            )
        return cents
