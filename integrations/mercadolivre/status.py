"""The ``ml_accounts`` section of ``tenant_status``: every ML account the store holds."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django_tenants.utils import tenant_context

from integrations.mercadolivre.models import MLAccount
from integrations.mercadolivre.selectors.sync import sync_run_last_success
from integrations.models import MLConnection
from tenants.models import Tenant
from tenants.status import status_section


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def account_status(account: MLAccount, *, routing: str | None) -> dict[str, Any]:
    """What support reads about one account: who, its state, its last sync, its token, and
    the state of its row in the public index notifications are routed by (None: no row)."""
    synced = sync_run_last_success(account=account)
    return {
        "ml_user_id": account.ml_user_id,
        "nickname": account.nickname,
        "site_id": account.site_id,
        "status": str(account.status),
        "connected_at": _iso(account.connected_at),
        "needs_reconnection_since": _iso(account.needs_reconnection_since),
        "disconnected_at": _iso(account.disconnected_at),
        "last_successful_sync": (
            {"kind": synced.kind, "finished_at": _iso(synced.finished_at)} if synced else None
        ),
        "token_expires_at": _iso(account.access_expires_at),
        "last_error": account.last_error,
        "routing": routing,
    }


@status_section("ml_accounts")
def _ml_accounts(tenant: Tenant) -> list[dict[str, Any]]:
    """Oldest connection first, disconnected accounts included (their data is kept)."""
    routes = dict(MLConnection.objects.filter(tenant=tenant).values_list("ml_user_id", "status"))
    with tenant_context(tenant):
        accounts = MLAccount.objects.defer("access_token", "refresh_token").order_by(
            "connected_at", "pk"
        )
        return [
            account_status(account, routing=routes.get(account.ml_user_id)) for account in accounts
        ]
