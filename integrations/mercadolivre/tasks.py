"""Celery tasks of the Mercado Livre integration (the worker's autodiscovery imports this module).

The notification inbox's pair (process rows, reconcile) is declared with its ledger in
``inbox``; the reconnect e-mail with its notices in ``notifications``; both are named here so
this module holds every task. The initial sync works in slices of ``INITIAL_SYNC_SLICE_SECONDS``
and re-queues itself until done, so a big catalogue never meets the time limit; every slice
resumes from the cursor. ``ml_reconnected`` is sent when a store connects an account again: it
replays what died of the disconnection and catches the account up. Sync tasks work on one
account (``ml_user_id``); sent without one (beat, "sync now", messages queued before a store
could hold several), they send one task per syncing account of the store. Retries wait at
least as long as the error says (the breaker's reopen time, ML's ``Retry-After``;
``core.tasks.RetryPolicy``).
"""

from __future__ import annotations

import logging
from typing import Any

from django.db.models import Q
from django.utils import timezone

from core.redis import redis_client
from core.tasks import RetryPolicy, enqueue_on_commit, task
from integrations.mercadolivre.accounts import accounts_syncing, unowned_rows_attach
from integrations.mercadolivre.errors import DISCONNECTION_ERRORS, MLError, MLReconnectRequired
from integrations.mercadolivre.inbox import ML_INBOX
from integrations.mercadolivre.missed_feeds import missed_feeds_recover
from integrations.mercadolivre.models import MLAccount
from integrations.mercadolivre.notifications import ml_reconnect_email
from integrations.mercadolivre.priorities import Priority
from integrations.mercadolivre.reconnect import ml_reconnect_resume
from integrations.mercadolivre.services import ml_accounts_fit_plan
from integrations.mercadolivre.sync import SyncAlreadyRunning, ml_sync_incremental, ml_sync_initial
from integrations.mercadolivre.sync.runs import TRANSIENT_ERRORS
from integrations.mercadolivre.tokens import REFRESH_AHEAD, token_refresh_ahead
from integrations.models import MLConnection, MLConnectionStatus
from tenants.context import current_schema
from tenants.models import Tenant

__all__ = [
    "ml_inbox_reconcile",
    "ml_incremental_sync",
    "ml_initial_sync",
    "ml_missed_feeds",
    "ml_notification_process",
    "ml_reconnect_email",
    "ml_reconnected",
    "ml_token_refresh",
    "ml_tokens_due",
]

logger = logging.getLogger(__name__)

INITIAL_SYNC_SLICE_SECONDS = 240
SYNC_RETRY = RetryPolicy(
    on=TRANSIENT_ERRORS, max_retries=8, backoff_seconds=30, backoff_max_seconds=900
)
# Each retry waits for the breaker (ML_BREAKER_RESET_SECONDS, 300 s) when it is open; one open
# period costs up to two retries (waiting it out, then a few seconds while another caller's
# probe is out), so five outlast a failed probe and a second open period (ten minutes or more).
INCREMENTAL_SYNC_RETRY = RetryPolicy(on=TRANSIENT_ERRORS, max_retries=5, backoff_seconds=60)


def _current_tenant() -> Tenant:
    return Tenant.objects.get(schema_name=current_schema())


def _skipped(tenant: Tenant, work: str, exc: Exception) -> dict[str, Any]:
    """The outcome of ``work`` that cannot go on until the seller connects again."""
    logger.info("%s of %s stopped: %s", work, tenant.schema_name, exc)
    return {"status": "skipped", "reason": str(exc)}


def _one_account(
    task: Any, tenant: Tenant, ml_user_id: int | None, **kwargs: Any
) -> tuple[int | None, dict[str, Any] | None]:
    """The account a sync task sent for ``ml_user_id`` works on, or its outcome when it does
    not go on itself: sent for no account, it works on the store's only syncing (active)
    account, sends itself once per syncing account when there are several, and skips a store
    with none. Accounts that lapsed or are paused never stand in the others' way."""
    if ml_user_id is not None:
        return ml_user_id, None
    ml_user_ids = list(accounts_syncing().values_list("ml_user_id", flat=True))
    if not ml_user_ids:
        return None, {"status": "skipped", "reason": "no active Mercado Livre account"}
    if len(ml_user_ids) == 1:
        return ml_user_ids[0], None
    for each in ml_user_ids:
        enqueue_on_commit(task, tenant=tenant, kwargs={**kwargs, "ml_user_id": each})
    return None, {"status": "fanned_out", "accounts": ml_user_ids}


@task(
    name="integrations.ml_initial_sync",
    queue=Priority.MEDIUM.queue,
    tenant_scoped=True,
    soft_time_limit=INITIAL_SYNC_SLICE_SECONDS + 300,
    retry=SYNC_RETRY,
)
def ml_initial_sync(full: bool = False, ml_user_id: int | None = None) -> dict[str, Any]:
    """One slice of an account's initial sync; sends the next slice until it is done."""
    tenant = _current_tenant()
    ml_user_id, done = _one_account(ml_initial_sync, tenant, ml_user_id, full=full)
    if done is not None:
        return done
    try:
        outcome = ml_sync_initial(
            tenant=tenant,
            ml_user_id=ml_user_id,
            full=full,
            time_budget=INITIAL_SYNC_SLICE_SECONDS,
        )
    except SyncAlreadyRunning:
        logger.info("initial sync of %s already running elsewhere", tenant.schema_name)
        return {"status": "skipped", "reason": "already running"}
    except DISCONNECTION_ERRORS as exc:
        # Nothing to retry until the seller connects again (which enqueues a new sync).
        return _skipped(tenant, "initial sync", exc)
    if outcome.status == "paused":
        enqueue_on_commit(ml_initial_sync, tenant=tenant, kwargs={"ml_user_id": outcome.ml_user_id})
    return outcome.as_dict()


@task(
    name="integrations.ml_incremental_sync",
    queue=Priority.LOW.queue,
    tenant_scoped=True,
    soft_time_limit=600,
    retry=INCREMENTAL_SYNC_RETRY,
)
def ml_incremental_sync(ml_user_id: int | None = None) -> dict[str, Any]:
    """Catch up on what ML changed since the last sync (beat fans it out to every store, and
    the store's task to each of its accounts)."""
    tenant = _current_tenant()
    if ml_user_id is None:
        # The store's scheduled pass also holds it to its plan (a plan changed by staff, or a
        # change whose signal was lost, pauses the accounts beyond it here).
        ml_accounts_fit_plan(tenant=tenant)
        unowned_rows_attach()
    ml_user_id, done = _one_account(ml_incremental_sync, tenant, ml_user_id)
    if done is not None:
        return done
    try:
        return ml_sync_incremental(tenant=tenant, ml_user_id=ml_user_id, scheduled=True).as_dict()
    except DISCONNECTION_ERRORS as exc:
        # The account lapsed during the run; the owners were told, later runs skip the store.
        return _skipped(tenant, "incremental sync", exc)


@task(
    name="integrations.ml_reconnected",
    queue=Priority.MEDIUM.queue,
    tenant_scoped=True,
    soft_time_limit=600,
    retry=SYNC_RETRY,
)
def ml_reconnected(ml_user_id: int | None = None) -> dict[str, Any]:
    """An account connected again: replay what died of its disconnection, and catch up."""
    tenant = _current_tenant()
    try:
        return ml_reconnect_resume(tenant=tenant, ml_user_id=ml_user_id).as_dict()
    except DISCONNECTION_ERRORS as exc:
        # Lapsed again already; the next reconnection sends this task again.
        return _skipped(tenant, "resuming after the reconnection", exc)


ml_notification_process = ML_INBOX.process_task
ml_inbox_reconcile = ML_INBOX.reconcile_task


@task(
    name="integrations.ml_missed_feeds",
    queue=Priority.LOW.queue,
    tenant_scoped=False,
    soft_time_limit=600,
)
def ml_missed_feeds() -> int:
    return missed_feeds_recover()


# While one account's refresh is queued (or running), the schedule does not queue another.
TOKEN_REFRESH_QUEUED_SECONDS = 120


def _refresh_claim(ml_user_id: int) -> str:
    return f"ml:token:queued:{ml_user_id}"


@task(
    name="integrations.ml_tokens_due",
    queue=Priority.HIGH.queue,
    tenant_scoped=False,
    soft_time_limit=120,
)
def ml_tokens_due() -> int:
    """Queue a refresh for every connected account whose token expires within REFRESH_AHEAD
    (or whose expiry the public index does not know yet); how many were queued."""
    due = (
        MLConnection.objects.filter(status=MLConnectionStatus.ACTIVE)
        .filter(
            Q(token_expires_at__lte=timezone.now() + REFRESH_AHEAD)
            | Q(token_expires_at__isnull=True)
        )
        .select_related("tenant")
        .order_by("token_expires_at")
    )
    queued = 0
    client = redis_client()
    for link in due.iterator(chunk_size=500):
        if client.set(
            _refresh_claim(link.ml_user_id), "1", nx=True, ex=TOKEN_REFRESH_QUEUED_SECONDS
        ):
            enqueue_on_commit(ml_token_refresh, args=[link.ml_user_id], tenant=link.tenant)
            queued += 1
    if queued:
        logger.info("queued %d ML token refresh(es)", queued)
    return queued


@task(
    name="integrations.ml_token_refresh",
    queue=Priority.HIGH.queue,
    tenant_scoped=True,
    soft_time_limit=60,
)
def ml_token_refresh(ml_user_id: int) -> str:
    """Refresh one account's tokens ahead of expiry: refreshed, not_due, inactive or failed."""
    account = MLAccount.objects.filter(ml_user_id=ml_user_id).first()
    try:
        if account is None:
            return "inactive"
        return token_refresh_ahead(account_id=account.pk)
    except MLReconnectRequired:
        return "inactive"  # marked for reconnection; the owners are told
    except MLError as exc:
        # The next run of the schedule (a minute on) tries again, well before the expiry.
        logger.warning("scheduled refresh of ML user %s failed: %s", ml_user_id, exc)
        return "failed"
    finally:
        redis_client().delete(_refresh_claim(ml_user_id))
