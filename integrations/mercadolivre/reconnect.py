"""What a store's reconnection to Mercado Livre resumes by itself, with nobody acting.

``ml_reconnect_resume`` runs in the ``integrations.ml_reconnected`` task, which connecting a
store that was connected before enqueues: it replays the store's notifications that died of the
disconnection and catches its data up (an incremental sync once the initial one has succeeded,
else the initial sync, which resumes where it stopped). Running it twice replays nothing twice.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from django_tenants.utils import tenant_context

from core.tasks import enqueue_on_commit
from integrations.mercadolivre.accounts import account_for
from integrations.mercadolivre.inbox import notifications_replay_disconnected
from integrations.mercadolivre.models import SyncKind
from integrations.mercadolivre.selectors.sync import sync_run_last_success
from integrations.mercadolivre.sync import SyncOutcome, ml_sync_incremental
from tenants.models import Tenant

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ReconnectResumed:
    """What a reconnection resumed: notifications replayed, and the sync run (None when the
    initial sync was enqueued instead)."""

    replayed: int
    sync: SyncOutcome | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "status": "resumed",
            "replayed": self.replayed,
            "sync": self.sync.as_dict() if self.sync is not None else {"kind": "initial"},
        }


def ml_reconnect_resume(*, tenant: Tenant, ml_user_id: int | None = None) -> ReconnectResumed:
    """Replay the notifications of ``ml_user_id``'s account (None: the store's only account)
    that died of its disconnection, then catch that account up."""
    with tenant_context(tenant):
        account = account_for(ml_user_id)
        initial_done = sync_run_last_success(kind=SyncKind.INITIAL, account=account) is not None
    replayed = notifications_replay_disconnected(tenant=tenant, ml_user_id=account.ml_user_id)
    sync: SyncOutcome | None = None
    if initial_done:
        sync = ml_sync_incremental(tenant=tenant, ml_user_id=account.ml_user_id)
    else:
        # Imported here because the tasks module imports this one.
        from integrations.mercadolivre.tasks import ml_initial_sync

        enqueue_on_commit(ml_initial_sync, tenant=tenant, kwargs={"ml_user_id": account.ml_user_id})
    logger.info(
        "store %s reconnected ML user %s: %d notification(s) replayed, %s",
        tenant.schema_name,
        account.ml_user_id,
        replayed,
        f"incremental sync {sync.status}" if sync is not None else "initial sync enqueued",
    )
    return ReconnectResumed(replayed=replayed, sync=sync)
