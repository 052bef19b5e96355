"""How the API names a row's Mercado Livre account and filters a list by one.

Each listed row carries ``account``: ``{"ml_user_id", "nickname"}`` of the ML seller it came
from (null for a row a store held before it had an account). The store's accounts are read once
per response, not joined to the page's query, so a page stays one range read of its index.
``?account=<ML user id>`` keeps one account's rows; an ML user the store does not hold matches
nothing, a value that is not an ML user id is a 400.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Model, QuerySet
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from api.filtering import django_filters
from integrations.mercadolivre.models import MLAccount
from integrations.mercadolivre.selectors.accounts import accounts_listed

ACCOUNTS_CONTEXT_KEY = "ml_accounts_by_id"
ML_USER_ID_MAX = 2**63 - 1  # ML user ids are PostgreSQL bigints here
ACCOUNT_FILTER_HELP = (
    "The ML user id of one of the store's accounts: only that account's rows (none for an ML "
    "user the store does not hold)."
)


class AccountRefSerializer(serializers.Serializer[Any]):
    ml_user_id = serializers.IntegerField(help_text="The seller's Mercado Livre user id.")
    nickname = serializers.CharField(help_text="The seller's Mercado Livre nickname, or empty.")


@extend_schema_field(AccountRefSerializer)
class AccountField(serializers.Field):  # type: ignore[type-arg]
    """A row's account, from the store's accounts read once into the serializer's context."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault(
            "help_text",
            "The Mercado Livre account the row belongs to; null for a row of no account.",
        )
        super().__init__(source="account_id", read_only=True, allow_null=True, **kwargs)

    def to_representation(self, value: int) -> dict[str, Any] | None:
        account = self._accounts().get(value)
        if account is None:
            return None
        return {"ml_user_id": account.ml_user_id, "nickname": account.nickname}

    def _accounts(self) -> dict[int, MLAccount]:
        context = self.context
        accounts: dict[int, MLAccount] | None = context.get(ACCOUNTS_CONTEXT_KEY)
        if accounts is None:
            accounts = {account.pk: account for account in accounts_listed()}
            context[ACCOUNTS_CONTEXT_KEY] = accounts
        return accounts


@extend_schema_field(
    {
        "type": "integer",
        "format": "int64",
        "minimum": 1,
        "maximum": ML_USER_ID_MAX,
        "description": ACCOUNT_FILTER_HELP,
    }
)
class AccountFilter(django_filters.Filter):  # type: ignore[misc]
    """``?account=<ML user id>``: the rows of that account of the store (none for an ML user
    the store does not hold)."""

    field_class = forms.IntegerField

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("help_text", ACCOUNT_FILTER_HELP)
        super().__init__(min_value=1, max_value=ML_USER_ID_MAX, **kwargs)

    def filter(self, queryset: QuerySet[Model], value: int | None) -> QuerySet[Model]:
        if value is None:
            return queryset
        # The account's pk first: filtering by it reads the list's (account, ...) index in
        # order, where a join on the ML user id would sort the account's every row.
        account_id = MLAccount.objects.filter(ml_user_id=value).values_list("pk", flat=True).first()
        return queryset.none() if account_id is None else queryset.filter(account_id=account_id)
