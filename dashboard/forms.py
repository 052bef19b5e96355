"""The dashboard's filter and answer forms: validated at the edge, errors shown by their field."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from core.forms import BrazilianDateField
from integrations.mercadolivre.answers import ANSWER_MAX_CHARS
from integrations.mercadolivre.models import MLAccount, MLAccountStatus
from integrations.mercadolivre.selectors.catalogue import ProductFilters
from integrations.mercadolivre.selectors.orders import OrderFilters

ITEM_STATUSES = [
    ("", _("Any status")),
    ("active", _("Active")),
    ("paused", _("Paused")),
    ("closed", _("Closed")),
    ("under_review", _("Under review")),
    ("inactive", _("Inactive")),
]
STOCK_CHOICES = [("", _("Any stock")), ("in", _("In stock")), ("out", _("Out of stock"))]
SORT_CHOICES = [
    ("recent", _("Recently updated")),
    ("title", _("Title (A to Z)")),
    ("price_asc", _("Price: lowest first")),
    ("price_desc", _("Price: highest first")),
    ("stock", _("Stock: lowest first")),
    ("sold", _("Best selling")),
]
ORDER_STATUSES = [
    ("", _("Any status")),
    ("paid", _("Paid")),
    ("confirmed", _("Confirmed")),
    ("payment_required", _("Payment required")),
    ("payment_in_process", _("Payment in process")),
    ("partially_paid", _("Partially paid")),
    ("partially_refunded", _("Partially refunded")),
    ("pending_cancel", _("Pending cancellation")),
    ("cancelled", _("Cancelled")),
    ("invalid", _("Invalid")),
]


def account_choice_label(account: MLAccount) -> str:
    """An account as the filter lists it: its label, and its state unless it is connected."""
    if account.status == MLAccountStatus.ACTIVE:
        return account.label
    return f"{account.label} ({account.get_status_display()})"


class AccountFilterForm(forms.Form):
    """A list's filter by account: ``?account=<ML user id>`` among the store's accounts.

    The choices are the accounts the store holds (``accounts``), so a value that is not one of
    them (another store's seller, a typo) is an error by the field and the list shows every
    account of this store.
    """

    account = forms.ChoiceField(
        label=_("Account"),
        required=False,
        error_messages={
            "invalid_choice": _(
                "This store has no Mercado Livre account %(value)s; every account is shown."
            )
        },
    )

    def __init__(self, *args: Any, accounts: list[MLAccount], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.accounts = {str(account.ml_user_id): account for account in accounts}
        account_field: forms.ChoiceField = self.fields["account"]  # type: ignore[assignment]
        account_field.choices = [
            ("", _("All accounts")),
            *((key, account_choice_label(account)) for key, account in self.accounts.items()),
        ]

    def account_id(self) -> int | None:
        """The chosen account's MLAccount pk; None for every account (or an invalid choice)."""
        data: dict[str, Any] = getattr(self, "cleaned_data", {})
        account = self.accounts.get(data.get("account") or "")
        return account.pk if account is not None else None


class ProductFilterForm(AccountFilterForm):
    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=100,
        widget=forms.SearchInput(attrs={"placeholder": _("Title words, item id or SKU")}),
    )
    status = forms.ChoiceField(label=_("Status"), choices=ITEM_STATUSES, required=False)
    stock = forms.ChoiceField(label=_("Stock"), choices=STOCK_CHOICES, required=False)
    sort = forms.ChoiceField(label=_("Sort by"), choices=SORT_CHOICES, required=False)

    def filters(self) -> ProductFilters:
        """The valid fields' values; a field with an error falls back to its default."""
        data: dict[str, Any] = getattr(self, "cleaned_data", {})
        return ProductFilters(
            q=data.get("q") or "",
            status=data.get("status") or "",
            stock=data.get("stock") or "",
            sort=data.get("sort") or "recent",
            account_id=self.account_id(),
        )


class OrderFilterForm(AccountFilterForm):
    status = forms.ChoiceField(label=_("Status"), choices=ORDER_STATUSES, required=False)
    date_from = BrazilianDateField(label=_("From"), required=False)
    date_to = BrazilianDateField(label=_("To"), required=False)
    q = forms.CharField(label=_("Order or buyer"), required=False, max_length=100)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and end < start:
            self.add_error("date_to", _("The end date is before the start date."))
        return data

    def filters(self) -> OrderFilters:
        data: dict[str, Any] = getattr(self, "cleaned_data", {})
        return OrderFilters(
            status=data.get("status") or "",
            date_from=data.get("date_from"),
            date_to=data.get("date_to") if "date_to" not in self.errors else None,
            q=data.get("q") or "",
            account_id=self.account_id(),
        )


class QuestionFilterForm(AccountFilterForm):
    """The questions page's filter: by account only."""


class AnswerForm(forms.Form):
    # Blankness and length are the answering service's rules; the widget only hints at them.
    text = forms.CharField(
        label=_("Your answer"),
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": ANSWER_MAX_CHARS}),
    )
