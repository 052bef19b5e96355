"""The notification inbox: route a claimed row to its store, fetch, upsert, hand over the outcome.

The ledger (``inbox.ledger``) claims each row once, however often it is sent. The resource is
always fetched from ML with the store's token (a notification carries no data and may be stale
or out of order); the upserts never let older data overwrite newer. Transient failures retry on
the ledger's policy, never before the error's ``retry_after`` (the breaker's reopen time, ML's
``Retry-After``); a row that runs out of tries is dead, kept with its error, and can be
replayed. A row that died because the store's account was unusable (``DISCONNECTION_ERRORS``)
is replayed by itself when the seller reconnects (``notifications_replay_disconnected``).
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass

from django.db import DatabaseError
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django_tenants.utils import tenant_context

from billing.entitlements import entitlements_for
from core.errors import retry_after_of
from inbox.ledger import Ledger, Outcome, finished, retry_later
from integrations.mercadolivre.accounts import account_for
from integrations.mercadolivre.client import MLClient
from integrations.mercadolivre.clock import SYSTEM_CLOCK, Clock
from integrations.mercadolivre.errors import (
    DISCONNECTION_ERRORS,
    MLBadRequest,
    MLError,
    MLForbidden,
    MLNotFound,
)
from integrations.mercadolivre.models import MLAccount, MLAccountStatus, MLItem
from integrations.mercadolivre.priorities import Priority, topic_priority
from integrations.mercadolivre.upserts import items_upsert, orders_upsert, questions_upsert
from integrations.models import MLConnection, MLNotification, NotificationStatus
from tenants.models import Tenant, TenantStatus

logger = logging.getLogger(__name__)

IN_TASK_RETRIES = 2  # the client's own quick retries; longer waits go through the inbox


@dataclass(frozen=True)
class _Route:
    pattern: re.Pattern[str]
    fetch: Callable[[MLClient, MLAccount, str], int]


def _fetch_order(client: MLClient, account: MLAccount, order_id: str) -> int:
    return orders_upsert([client.get(f"/orders/{order_id}").data], account=account)


def _fetch_item(client: MLClient, account: MLAccount, item_id: str) -> int:
    return items_upsert([client.get(f"/items/{item_id}").data], account=account)


def _fetch_question(client: MLClient, account: MLAccount, question_id: str) -> int:
    body = client.get(f"/questions/{question_id}", {"api_version": 4}).data
    return questions_upsert([body], account=account)


ROUTES = {
    "orders_v2": _Route(re.compile(r"^/orders/(\d{1,20})$"), _fetch_order),
    "items": _Route(re.compile(r"^/items/([A-Z]{3}\d{1,20})$"), _fetch_item),
    "questions": _Route(re.compile(r"^/questions/(\d{1,20})$"), _fetch_question),
}


def notification_handle(notification: MLNotification, *, clock: Clock = SYSTEM_CLOCK) -> Outcome:
    """What became of one claimed inbox row: the resource fetched into its store, or why not."""
    route = ROUTES.get(notification.topic)
    match = route.pattern.match(notification.resource) if route else None
    if route is None or match is None:
        return finished(NotificationStatus.IGNORED, _("topic or resource not synced"))
    link = (
        MLConnection.objects.select_related("tenant")
        .filter(ml_user_id=notification.ml_user_id)
        .first()
    )
    if link is None or link.tenant.status != TenantStatus.ACTIVE:
        return finished(NotificationStatus.ORPHANED, _("no active store for this ML user"))
    entitlement = entitlements_for(tenant=link.tenant)
    if not entitlement.may_sync:
        # Kept, not processed: the incremental sync catches up once the store may sync again.
        return finished(
            NotificationStatus.IGNORED,
            _("billing: %(reason)s") % {"reason": entitlement.reason},
            tenant=link.tenant,
        )
    try:
        with tenant_context(link.tenant):
            if notification.topic == "items" and not _item_allowed(
                match.group(1), entitlement.limits.max_items
            ):
                return finished(
                    NotificationStatus.IGNORED,
                    ngettext(
                        "plan limit: the %(plan)s plan stores up to %(n)s product",
                        "plan limit: the %(plan)s plan stores up to %(n)s products",
                        entitlement.limits.max_items,
                    )
                    % {"plan": entitlement.limits.name, "n": entitlement.limits.max_items},
                    tenant=link.tenant,
                )
            # The account the notification is for: a store's other accounts never see it.
            account = account_for(notification.ml_user_id)
            if account.status == MLAccountStatus.PAUSED:
                # Kept, not processed: making the account active again catches it up.
                return finished(
                    NotificationStatus.IGNORED,
                    _("plan limit: this Mercado Livre account is paused"),
                    tenant=link.tenant,
                )
            client = MLClient(
                account=account,
                priority=topic_priority(notification.topic),
                clock=clock,
                retries=IN_TASK_RETRIES,
                max_wait=10.0,
            )
            route.fetch(client, account, match.group(1))
    except MLNotFound:
        # Deleted on ML since: nothing newer to store.
        return finished(NotificationStatus.PROCESSED, "resource gone (404)", tenant=link.tenant)
    except DISCONNECTION_ERRORS as exc:
        # Retrying cannot help until the seller connects again, which replays it
        # (``notifications_replay_disconnected``).
        return finished(NotificationStatus.DEAD, _describe(exc), tenant=link.tenant)
    except (MLForbidden, MLBadRequest) as exc:
        # Retrying cannot help until someone acts (permissions, the request): park it.
        return finished(NotificationStatus.DEAD, _describe(exc), tenant=link.tenant)
    except (MLError, DatabaseError) as exc:
        return retry_later(
            _describe(exc), retry_after=retry_after_of(exc), tenant_id=link.tenant.pk
        )
    return finished(NotificationStatus.PROCESSED, tenant=link.tenant)


def _item_allowed(item_id: str, limit: int) -> bool:
    """A known item always updates; a new one only while the plan has room."""
    return MLItem.objects.filter(pk=item_id).exists() or MLItem.objects.count() < limit


def _describe(exc: Exception) -> str:
    """The row's ``last_error``: the error's type, then its message."""
    message = exc.message if isinstance(exc, MLError) else str(exc)
    return f"{_described_type(type(exc))}{message}"


def _described_type(kind: type[Exception]) -> str:
    return f"{kind.__name__}: "


ML_INBOX = Ledger(
    model=MLNotification,
    name="ml",
    label="topic",
    metric="ml_notifications",
    latency_metric="ml_webhook_processed",
    stuck_setting="ML_INBOX_STUCK_SECONDS",
    queue_of=lambda topic: topic_priority(topic).queue,
    handle=notification_handle,
    process_task="integrations.ml_notification_process",
    # The default of a message sent without one; each goes to its topic's priority's queue.
    process_queue=Priority.MEDIUM.queue,
    reconcile_task="integrations.ml_inbox_reconcile",
)


def notification_process(*, notification_id: int, clock: Clock = SYSTEM_CLOCK) -> str:
    """Process one inbox row; the outcome (or "skipped" when someone else has it)."""
    return ML_INBOX.process(
        notification_id, handle=functools.partial(notification_handle, clock=clock)
    )


def notifications_dead_of_disconnection(
    *, tenant: Tenant, ml_user_id: int | None = None
) -> QuerySet[MLNotification]:
    """The store's notifications (for ``ml_user_id``'s account, or any) parked dead because the
    account could not be used: their ``last_error`` names one of ``DISCONNECTION_ERRORS`` or a
    subclass (``_describe``)."""
    kinds: list[type[Exception]] = list(DISCONNECTION_ERRORS)
    names: set[str] = set()
    while kinds:
        kind = kinds.pop()
        names.add(_described_type(kind))
        kinds += kind.__subclasses__()
    died_of = Q()
    for name in sorted(names):
        died_of |= Q(last_error__startswith=name)
    found = MLNotification.objects.filter(died_of, tenant=tenant, status=NotificationStatus.DEAD)
    return found if ml_user_id is None else found.filter(ml_user_id=ml_user_id)


def notifications_replay_disconnected(*, tenant: Tenant, ml_user_id: int | None = None) -> int:
    """Send the store's notifications (``ml_user_id``'s, or all) that died of a disconnection
    through processing again (after commit); how many. Nothing else is replayed: other dead
    rows wait for staff."""
    dead = notifications_dead_of_disconnection(tenant=tenant, ml_user_id=ml_user_id)
    ids = list(dead.values_list("pk", flat=True))
    if not ids:
        return 0
    return ML_INBOX.replay(ids=ids, statuses=[NotificationStatus.DEAD])
