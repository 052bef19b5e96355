"""Which of a store's Mercado Livre accounts a piece of work is for (current schema).

A store holds one ``MLAccount`` row per ML seller it ever connected. Work names its account by
ML user id; work that names none (a message queued before a store could hold several, a
command run without ``--ml-user-id``) is for the store's only connected account, and a store
with several must say which.
"""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from integrations.mercadolivre.errors import MLNotConnected, MLReconnectRequired
from integrations.mercadolivre.models import (
    COUNTED_STATUSES,
    MLAccount,
    MLAccountStatus,
    MLItem,
    MLOrder,
    MLQuestion,
    SyncRun,
)


class MLAccountAmbiguous(MLNotConnected):
    """The store holds several connected accounts and the work did not say which."""


class MLAccountPaused(MLNotConnected):
    """The account is paused (by the seller, or over the plan's limit); ``message`` says so to
    the seller, naming it."""


def accounts_connected() -> QuerySet[MLAccount]:
    """The store's accounts that are not disconnected (active, paused or needing reconnection),
    oldest connection first."""
    return MLAccount.objects.exclude(status=MLAccountStatus.DISCONNECTED).order_by(
        "connected_at", "pk"
    )


def accounts_counted() -> QuerySet[MLAccount]:
    """The accounts that take a place under the plan's limit (``COUNTED_STATUSES``)."""
    return MLAccount.objects.filter(status__in=COUNTED_STATUSES)


def accounts_syncing() -> QuerySet[MLAccount]:
    """The accounts whose data is kept in sync: active ones (a paused or lapsed one waits)."""
    return accounts_connected().filter(status=MLAccountStatus.ACTIVE)


def account_for(ml_user_id: int | None) -> MLAccount:
    """The connected account of ``ml_user_id``, or the store's only one when None.

    Raises ``MLNotConnected`` when there is none (``MLAccountAmbiguous`` when None names
    several).
    """
    connected = accounts_connected()
    if ml_user_id is not None:
        account = connected.filter(ml_user_id=ml_user_id).first()
        if account is None:
            raise MLNotConnected(f"Mercado Livre user {ml_user_id} is not connected to this store")
        return account
    accounts = list(connected[:2])
    if not accounts:
        raise MLNotConnected("this store has not connected a Mercado Livre account")
    if len(accounts) > 1:
        raise MLAccountAmbiguous(
            "this store has several Mercado Livre accounts; name the one (ml_user_id)"
        )
    return accounts[0]


def unowned_rows_attach() -> int:
    """Attach rows without an account to the store's account, when it holds exactly one; how
    many. Rows written by a process still running code from before accounts were named (a
    deploy's window between the migration and the restart) are found here by the scheduled
    pass; a store holding several accounts keeps such rows unattached (shown as no account's).
    """
    accounts = list(MLAccount.objects.values_list("pk", flat=True)[:2])
    if len(accounts) != 1:
        return 0
    return sum(
        model.objects.filter(account=None).update(account_id=accounts[0])
        for model in (MLItem, MLOrder, MLQuestion, SyncRun)
    )


def account_usable(ml_user_id: int | None) -> MLAccount:
    """``account_for``, refusing an account whose tokens cannot be used (paused or lapsed)."""
    account = account_for(ml_user_id)
    if account.status == MLAccountStatus.PAUSED:
        raise MLAccountPaused(
            _(
                "The Mercado Livre account %(account)s is paused. Make it active on the "
                "Mercado Livre settings page."
            )
            % {"account": account.label}
        )
    if not account.is_usable:
        raise MLReconnectRequired(
            _("Mercado Livre no longer accepts the authorization of %(account)s; connect it again.")
            % {"account": account.label}
        )
    return account
