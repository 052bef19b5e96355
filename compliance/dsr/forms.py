"""Filing a buyer's request for them (staff in admin, a store's managers in its privacy
center) and recording how the requester's identity was verified."""

from __future__ import annotations

from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from compliance.dsr.requests import FILED_KINDS, buyer_resolve, received_at_from
from compliance.errors import ComplianceError
from compliance.models import RequestChannel, RequestKind, VerificationMethod
from core.forms import BrazilianDateField
from tenants.models import Tenant


def seller_today() -> date:
    return timezone.now().astimezone(ZoneInfo(settings.PEEPERS_SELLER_TIME_ZONE)).date()


class BuyerRequestForm(forms.Form):
    """A buyer's request as received: who, what, how and when. ``clean`` resolves the buyer to
    their ML id in ``cleaned_data["subject_ml_user_id"]``; the store comes from the host (or,
    for staff, the ``tenant`` field)."""

    buyer = forms.CharField(
        label=_("Buyer"),
        max_length=100,
        help_text=_("Mercado Livre buyer id, or the nickname on their orders or questions."),
    )
    kind = forms.ChoiceField(label=_("Request"), choices=[(k.value, k.label) for k in FILED_KINDS])
    channel = forms.ChoiceField(
        label=_("Received by"),
        choices=[(c.value, c.label) for c in RequestChannel if c != RequestChannel.PRIVACY_CENTER],
    )
    contact_email = forms.EmailField(
        label=_("Answer to (e-mail)"),
        required=False,
        help_text=_("Needed when the request came by e-mail: the confirmation goes there."),
    )
    received_on = BrazilianDateField(label=_("Received on"), initial=seller_today)

    def __init__(self, *args: Any, store: Tenant | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._store = store

    def store(self) -> Tenant | None:
        """The store the buyer is looked up in."""
        return self._store

    def clean_received_on(self) -> date:
        received: date = self.cleaned_data["received_on"]
        try:
            received_at_from(received_on=received)
        except ComplianceError as exc:
            raise forms.ValidationError(exc.message) from None
        return received

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean() or {}
        if cleaned.get("channel") == RequestChannel.EMAIL and not cleaned.get("contact_email"):
            self.add_error(
                "contact_email",
                _("A request received by e-mail needs the address to answer to."),
            )
        store = self.store()
        if store is not None and cleaned.get("buyer"):
            try:
                cleaned["subject_ml_user_id"] = buyer_resolve(tenant=store, buyer=cleaned["buyer"])
            except ComplianceError as exc:
                self.add_error("buyer", exc.message)
        return cleaned

    def filed(self) -> dict[str, Any]:
        """The keyword arguments ``dsr_file`` takes from this form."""
        data = self.cleaned_data
        return {
            "kind": RequestKind(data["kind"]),
            "channel": data["channel"],
            "subject_ml_user_id": data["subject_ml_user_id"],
            "received_on": data["received_on"],
            "contact_email": data.get("contact_email") or "",
        }


class StaffBuyerRequestForm(BuyerRequestForm):
    """Staff file for any store: the store is chosen first."""

    tenant = forms.ModelChoiceField(
        label=_("Store"), queryset=Tenant.objects.exclude(schema_name="public").order_by("name")
    )
    field_order = ["tenant", "buyer", "kind", "channel", "contact_email", "received_on"]

    def store(self) -> Tenant | None:
        tenant = self.cleaned_data.get("tenant")
        return tenant if isinstance(tenant, Tenant) else None


class VerificationForm(forms.Form):
    method = forms.ChoiceField(
        label=_("How the identity was verified"),
        choices=[(m.value, m.label) for m in VerificationMethod if m != VerificationMethod.LOGIN],
    )
    note = forms.CharField(
        label=_("Note"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What was checked: the message, the reply, the document (no copy of it)."),
    )
