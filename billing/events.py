"""Processing the Stripe event inbox: claim a row, find the store, re-fetch, record the outcome.

Handlers never trust the payload's copy of an object: they name the customer (or charge) and
``billing.sync`` fetches Stripe's current state, so any order or repetition of deliveries ends
in the same mirror. Events about a customer that maps to no store are kept as ``orphaned`` (not
retried). Stripe or database failures retry with growing delays; after ``MAX_TRIES`` the row is
``dead`` with its error, and staff can replay it from admin.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import DatabaseError, connection
from django.db.models import Q
from django.utils import timezone

from billing.dispatch import events_send
from billing.emails import (
    action_required_notify,
    dispute_alert,
    payment_failed_notify,
    renewal_notify,
    trial_ending_notify,
)
from billing.errors import BillingError, StripeRejected, StripeUnavailable
from billing.invoices import charge_sync, invoice_subscription, invoice_sync
from billing.models import (
    BillingCustomer,
    EventStatus,
    Refund,
    StripeEvent,
    SubscriptionMirror,
)
from billing.offboarding import subscriptions_cancel
from billing.stripe_api import JSON, moment, obj_id, stripe_call
from billing.sync import subscription_sync
from peepers.metrics import metric_count, metric_observe
from tenants.models import Tenant

logger = logging.getLogger(__name__)

MAX_TRIES = 6
RETRY_DELAYS = (10, 30, 60, 300, 900)  # seconds before tries 2..6
RECONCILE_BATCH_SIZE = 500

Handler = Callable[[BillingCustomer, JSON], None]


def _sync(customer: BillingCustomer, obj: JSON) -> None:
    subscription_sync(customer=customer)


def _invoice(customer: BillingCustomer, obj: JSON) -> None:
    subscription_sync(customer=customer)
    if obj.get("id"):
        invoice_sync(customer=customer, invoice_id=str(obj["id"]))


def _fetch_invoice(obj: JSON) -> JSON:
    invoice_id = str(obj["id"])
    return stripe_call(lambda c: c.v1.invoices.retrieve(invoice_id), what="invoice fetch")


def _payment_failed(customer: BillingCustomer, obj: JSON) -> None:
    _invoice(customer, obj)
    payment_failed_notify(customer=customer, invoice=_fetch_invoice(obj))


def _action_required(customer: BillingCustomer, obj: JSON) -> None:
    _invoice(customer, obj)
    action_required_notify(customer=customer, invoice=_fetch_invoice(obj))


def _trial_will_end(customer: BillingCustomer, obj: JSON) -> None:
    subscription_sync(customer=customer)
    subscription_id = str(obj["id"])
    current = stripe_call(
        lambda c: c.v1.subscriptions.retrieve(subscription_id), what="subscription fetch"
    )
    trial_ending_notify(customer=customer, subscription=current)


def _upcoming(customer: BillingCustomer, obj: JSON) -> None:
    # An upcoming invoice has no id; it is a forecast, so the payload is all there is.
    mirror = subscription_sync(customer=customer)
    subscription_id = invoice_subscription(obj) or (mirror.stripe_subscription_id if mirror else "")
    if mirror is not None and mirror.status in ("active", "trialing") and subscription_id:
        renewal_notify(customer=customer, upcoming=obj, subscription_id=subscription_id)


def _refunded(customer: BillingCustomer, obj: JSON) -> None:
    charge_id = str(obj["id"])
    charge_sync(charge_id=charge_id, customer=customer)
    refunds = stripe_call(
        lambda c: c.v1.refunds.list(params={"charge": charge_id, "limit": 100}),
        what="refund list",
    )
    for refund in refunds.get("data") or []:
        status = str(refund.get("status") or "pending")
        Refund.objects.filter(stripe_refund_id=refund["id"]).update(status=status)
        # A refund whose answer we never got (a timeout) is recognised by our request id.
        ours = _uuid((refund.get("metadata") or {}).get("peepers_refund"))
        if ours is not None:
            Refund.objects.filter(request_id=ours, stripe_refund_id="").update(
                stripe_refund_id=str(refund["id"]), status=status, error=""
            )


def _uuid(value: object) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


def _dispute(customer: BillingCustomer, obj: JSON) -> None:
    dispute_id = str(obj["id"])
    dispute = stripe_call(lambda c: c.v1.disputes.retrieve(dispute_id), what="dispute fetch")
    if customer.tenant is not None:
        SubscriptionMirror.objects.filter(tenant=customer.tenant).update(
            dispute_id=dispute_id,
            dispute_opened_at=moment(dispute.get("created")) or timezone.now(),
        )
    metric_count("stripe_disputes", {})
    dispute_alert(customer=customer, dispute=dispute)


HANDLERS: dict[str, Handler] = {
    "checkout.session.completed": _sync,
    "checkout.session.async_payment_succeeded": _sync,
    "checkout.session.async_payment_failed": _sync,
    "checkout.session.expired": _sync,
    "customer.subscription.created": _sync,
    "customer.subscription.updated": _sync,
    "customer.subscription.deleted": _sync,
    "customer.subscription.paused": _sync,
    "customer.subscription.resumed": _sync,
    "customer.subscription.trial_will_end": _trial_will_end,
    "invoice.paid": _invoice,
    "invoice.payment_succeeded": _invoice,
    "invoice.payment_failed": _payment_failed,
    "invoice.payment_action_required": _action_required,
    "invoice.finalized": _invoice,
    "invoice.voided": _invoice,
    "invoice.marked_uncollectible": _invoice,
    "invoice.upcoming": _upcoming,
    "charge.refunded": _refunded,
    "charge.dispute.created": _dispute,
    "payment_method.attached": _sync,
}


def _customer_id(event_type: str, obj: JSON) -> str:
    if event_type.startswith("charge.dispute."):
        charge_id = obj_id(obj.get("charge"))
        charge = stripe_call(lambda c: c.v1.charges.retrieve(charge_id), what="charge fetch")
        return obj_id(charge.get("customer"))
    if obj.get("object") == "customer":
        return str(obj.get("id") or "")
    return obj_id(obj.get("customer"))


def _customer_adopt(customer_id: str) -> BillingCustomer | None:
    """A Stripe customer we have no row for, but that names one of our stores in its metadata.

    It happens when Stripe created the customer and our transaction then failed.
    """
    try:
        found = stripe_call(lambda c: c.v1.customers.retrieve(customer_id), what="customer fetch")
    except StripeRejected:  # no such customer in this account
        return None
    if found.get("deleted"):
        return None
    tenant_id = (found.get("metadata") or {}).get("tenant_id", "")
    tenant = Tenant.objects.filter(public_id=tenant_id).first() if tenant_id else None
    if tenant is None or BillingCustomer.objects.filter(tenant=tenant).exists():
        return None
    customer, _ = BillingCustomer.objects.get_or_create(
        stripe_customer_id=customer_id,
        defaults={
            "tenant": tenant,
            "tenant_public_id": tenant.public_id,
            "email": str(found.get("email") or tenant.owner_email),
        },
    )
    logger.warning("adopted stripe customer %s for %s", customer_id, tenant.schema_name)
    return customer


def _stuck_after() -> timedelta:
    return timedelta(seconds=settings.BILLING_INBOX_STUCK_SECONDS)


def _claim(event_pk: int) -> StripeEvent | None:
    table = connection.ops.quote_name(StripeEvent._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET status = %s, processing_started_at = now(), "  # noqa: S608
            "tries = tries + 1 WHERE id = %s AND (status IN (%s, %s) "
            "OR (status = %s AND processing_started_at < %s)) RETURNING id",
            [
                EventStatus.PROCESSING,
                event_pk,
                EventStatus.PENDING,
                EventStatus.FAILED,
                EventStatus.PROCESSING,
                timezone.now() - _stuck_after(),
            ],
        )
        if cursor.fetchone() is None:
            return None
    return StripeEvent.objects.get(pk=event_pk)


def _finish(event: StripeEvent, status: str, error: str = "", **fields: Any) -> str:
    values: dict[str, Any] = {"status": status, "last_error": error[:2000], **fields}
    if status in (EventStatus.PROCESSED, EventStatus.IGNORED, EventStatus.ORPHANED):
        values["processed_at"] = timezone.now()
        values["next_attempt_at"] = None
    StripeEvent.objects.filter(pk=event.pk).update(**values)
    metric_count("stripe_events", {"type": event.type, "outcome": status})
    if status == EventStatus.PROCESSED:
        elapsed = (timezone.now() - event.received_at).total_seconds() * 1000
        metric_observe("stripe_webhook_processed", {"type": event.type}, elapsed)
    return status


def event_process(*, event_pk: int) -> str:
    """Process one inbox row; the outcome, or "skipped" when it is not ours to take now."""
    event = _claim(event_pk)
    if event is None:
        return "skipped"
    handler = HANDLERS.get(event.type)
    if handler is None:
        return _finish(event, EventStatus.IGNORED, "event type not handled")
    obj: JSON = event.payload["data"]["object"]
    try:
        customer_id = _customer_id(event.type, obj)
        if not customer_id:
            return _finish(event, EventStatus.ORPHANED, "the event names no customer")
        customer = (
            BillingCustomer.objects.select_related("tenant")
            .filter(stripe_customer_id=customer_id)
            .first()
        ) or _customer_adopt(customer_id)
        if customer is None:
            return _finish(event, EventStatus.ORPHANED, f"customer {customer_id} maps to no store")
        if customer.tenant is None:
            # The store was deleted: make sure nothing keeps billing it.
            subscriptions_cancel(stripe_customer_id=customer_id, reason="store deleted")
            return _finish(event, EventStatus.ORPHANED, "the store of this customer was deleted")
        handler(customer, obj)
    except (StripeUnavailable, DatabaseError) as exc:
        return _retry_later(event, f"{type(exc).__name__}: {exc}")
    except StripeRejected as exc:
        # Stripe refused a read (the object is gone...): retrying cannot help; staff may replay.
        return _finish(event, EventStatus.DEAD, f"StripeRejected: {exc.message}")
    except BillingError as exc:
        return _retry_later(event, f"{type(exc).__name__}: {exc.message}")
    except Exception as exc:
        logger.exception("stripe event %s (%s) failed", event.event_id, event.type)
        return _retry_later(event, f"{type(exc).__name__}: {exc}")
    return _finish(event, EventStatus.PROCESSED, tenant_id=customer.tenant_id)


def _retry_later(event: StripeEvent, error: str) -> str:
    if event.tries >= MAX_TRIES:
        logger.error("stripe event %s dead after %d tries: %s", event.event_id, event.tries, error)
        return _finish(event, EventStatus.DEAD, error)
    delay = RETRY_DELAYS[min(event.tries, len(RETRY_DELAYS)) - 1]
    _finish(
        event, EventStatus.FAILED, error, next_attempt_at=timezone.now() + timedelta(seconds=delay)
    )
    events_send([event.pk], countdown=delay)
    return EventStatus.FAILED


def inbox_reconcile(*, now: datetime | None = None) -> dict[str, int]:
    """Re-send what the queue lost: rows pending a minute after arrival, due retries, stuck ones."""
    now = now or timezone.now()
    stuck = StripeEvent.objects.filter(
        status=EventStatus.PROCESSING, processing_started_at__lt=now - _stuck_after()
    ).update(status=EventStatus.FAILED, next_attempt_at=now)
    grace = now - timedelta(seconds=60)
    lost = Q(status=EventStatus.PENDING, received_at__lt=grace) | Q(
        status=EventStatus.FAILED, next_attempt_at__lt=grace
    )
    ids = list(
        StripeEvent.objects.filter(lost)
        .order_by("received_at")
        .values_list("pk", flat=True)[:RECONCILE_BATCH_SIZE]
    )
    events_send(ids)
    if stuck or ids:
        logger.info("stripe inbox reconcile: %d stuck, %d re-sent", stuck, len(ids))
    return {"stuck": stuck, "resent": len(ids)}


def events_replay(*, ids: list[int]) -> int:
    """Staff replay: put the rows back to pending with fresh tries, and send them."""
    rows = StripeEvent.objects.filter(pk__in=ids).exclude(status=EventStatus.PROCESSING)
    picked = list(rows.values_list("pk", flat=True))
    StripeEvent.objects.filter(pk__in=picked).update(
        status=EventStatus.PENDING, tries=0, next_attempt_at=None, processing_started_at=None
    )
    events_send(picked)
    return len(picked)
