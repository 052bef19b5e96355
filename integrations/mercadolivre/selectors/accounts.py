"""The store's Mercado Livre accounts as its lists, exports and overview name them."""

from __future__ import annotations

from integrations.mercadolivre.models import MLAccount, MLAccountStatus

ACCOUNT_LIST_FIELDS = (
    "id",
    "ml_user_id",
    "nickname",
    "site_id",
    "status",
    "connected_at",
    "needs_reconnection_since",
)


def accounts_listed() -> list[MLAccount]:
    """Every account the store holds, oldest connection first: connected, paused or
    disconnected (a disconnected account's rows are kept, and still shown and filtered)."""
    return list(MLAccount.objects.only(*ACCOUNT_LIST_FIELDS).order_by("connected_at", "pk"))


def accounts_any_connected(accounts: list[MLAccount]) -> bool:
    """Whether one of ``accounts`` is still connected (the lists' "connect first" test)."""
    return any(account.status != MLAccountStatus.DISCONNECTED for account in accounts)
