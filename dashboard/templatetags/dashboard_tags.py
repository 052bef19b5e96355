"""Seller-facing formatting: dates in the seller's time zone, grouped numbers, bar heights."""

from __future__ import annotations

from datetime import date, datetime

from django import template
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from dashboard.forms import ITEM_STATUSES, ORDER_STATUSES
from integrations.mercadolivre.models import MLAccount
from integrations.mercadolivre.selectors.sales import SELLER_TZ

register = template.Library()


@register.filter
def seller_datetime(value: datetime | None) -> str:
    """``27/11/2026 07:41`` in pt-BR, in the seller's time zone (America/Sao_Paulo)."""
    if value is None:
        return "—"
    return formats.date_format(timezone.localtime(value, SELLER_TZ), "SHORT_DATETIME_FORMAT")


@register.filter
def seller_time(value: datetime | None) -> str:
    if value is None:
        return "—"
    return formats.time_format(timezone.localtime(value, SELLER_TZ), "H:i")


@register.filter
def seller_date(value: datetime | date | None) -> str:
    if value is None:
        return "—"
    if isinstance(value, datetime):
        value = timezone.localtime(value, SELLER_TZ).date()
    return formats.date_format(value, "SHORT_DATE_FORMAT")


@register.filter
def account_label(accounts: dict[int, MLAccount] | None, account_id: int | None) -> str:
    """The label of a row's account, from the store's ``accounts`` by MLAccount pk ("—" for a
    row of no account)."""
    account = (accounts or {}).get(account_id) if account_id is not None else None
    return account.label if account is not None else "—"


_ITEM_STATUS_LABELS = {code: label for code, label in ITEM_STATUSES if code}
_ORDER_STATUS_LABELS = {code: label for code, label in ORDER_STATUSES if code}


@register.filter
def item_status(code: str) -> str:
    """A listing's ML status in the seller's language (ML's code if it is a new one)."""
    return str(_ITEM_STATUS_LABELS.get(code, code))


@register.filter
def order_status(code: str) -> str:
    """An order's ML status in the seller's language (ML's code if it is a new one)."""
    return str(_ORDER_STATUS_LABELS.get(code, code))


# Mercado Livre's payment statuses (Mercado Pago's): "payment status" keeps them apart from the
# order statuses of the same English word.
_PAYMENT_STATUS_LABELS = {
    "approved": pgettext_lazy("payment status", "Approved"),
    "pending": pgettext_lazy("payment status", "Pending"),
    "in_process": pgettext_lazy("payment status", "In process"),
    "authorized": pgettext_lazy("payment status", "Authorized"),
    "in_mediation": pgettext_lazy("payment status", "In mediation"),
    "rejected": pgettext_lazy("payment status", "Rejected"),
    "cancelled": pgettext_lazy("payment status", "Cancelled"),
    "refunded": pgettext_lazy("payment status", "Refunded"),
    "charged_back": pgettext_lazy("payment status", "Charged back"),
}

# ML's ``payment_method_id``: card brands and Pix are names in every language.
_PAYMENT_METHOD_LABELS = {
    "pix": "Pix",
    "master": "Mastercard",
    "visa": "Visa",
    "amex": "American Express",
    "elo": "Elo",
    "hipercard": "Hipercard",
    "debmaster": _("Mastercard debit"),
    "debvisa": _("Visa debit"),
    "debelo": _("Elo debit"),
    "bolbradesco": _("Boleto (bank slip)"),
    "pec": _("Lottery outlet payment"),
    "account_money": _("Mercado Pago balance"),
}


@register.filter
def payment_status(code: str) -> str:
    """A payment's ML status in the seller's language (ML's code if it is a new one)."""
    return str(_PAYMENT_STATUS_LABELS.get(code, code))


@register.filter
def payment_method(code: str | None) -> str:
    """A payment's ML method (``payment_method_id``) by name; ML's code if it is a new one."""
    if not code:
        return "—"
    return str(_PAYMENT_METHOD_LABELS.get(code, code))


_SYNC_PHASES = {"questions": _("Questions"), "orders": _("Orders"), "items": _("Products")}


@register.filter
def sync_phase(code: str) -> str:
    """A sync phase (``questions``, ``orders``, ``items``) in the seller's language."""
    return str(_SYNC_PHASES.get(code, code or "—"))
