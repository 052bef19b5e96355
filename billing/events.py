"""The Stripe event inbox: find the store an event is about, re-fetch, hand over the outcome.

Handlers never trust the payload's copy of an object: they name the customer (or charge) and
``billing.sync`` fetches Stripe's current state, so any order or repetition of deliveries ends
in the same mirror. Events about a customer that maps to no store are kept as ``orphaned`` (not
retried). Stripe or database failures retry on the ledger's policy (``inbox.ledger``); a row
that runs out of tries is ``dead`` with its error, and staff can replay it from admin.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable

from django.db import DatabaseError
from django.utils import timezone

from billing.emails import (
    action_required_notify,
    dispute_alert,
    payment_failed_notify,
    renewal_notify,
    trial_ending_notify,
)
from billing.errors import BillingError, StripeRejected, StripeUnavailable
from billing.invoices import (
    charge_sync,
    invoice_fetch,
    invoice_subscription,
    invoice_sync,
    invoices_read_once,
)
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
from core.metrics import metric_count
from inbox.ledger import Ledger, Outcome, finished, retry_later
from tenants.models import Tenant

logger = logging.getLogger(__name__)

Handler = Callable[[BillingCustomer, JSON], None]


def _sync(customer: BillingCustomer, obj: JSON) -> None:
    subscription_sync(customer=customer)


def _invoice(customer: BillingCustomer, obj: JSON) -> None:
    subscription_sync(customer=customer)
    if obj.get("id"):
        invoice_sync(customer=customer, invoice_id=str(obj["id"]))


def _payment_failed(customer: BillingCustomer, obj: JSON) -> None:
    _invoice(customer, obj)
    payment_failed_notify(customer=customer, invoice=invoice_fetch(str(obj["id"])))


def _action_required(customer: BillingCustomer, obj: JSON) -> None:
    _invoice(customer, obj)
    action_required_notify(customer=customer, invoice=invoice_fetch(str(obj["id"])))


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


def event_handle(event: StripeEvent) -> Outcome:
    """What became of one claimed inbox row: the store's mirror synced, or why not."""
    handler = HANDLERS.get(event.type)
    if handler is None:
        return finished(EventStatus.IGNORED, "event type not handled")
    obj: JSON = event.payload["data"]["object"]
    try:
        customer_id = _customer_id(event.type, obj)
        if not customer_id:
            return finished(EventStatus.ORPHANED, "the event names no customer")
        customer = (
            BillingCustomer.objects.select_related("tenant")
            .filter(stripe_customer_id=customer_id)
            .first()
        ) or _customer_adopt(customer_id)
        if customer is None:
            return finished(EventStatus.ORPHANED, f"customer {customer_id} maps to no store")
        if customer.tenant is None:
            # The store was deleted: make sure nothing keeps billing it.
            subscriptions_cancel(stripe_customer_id=customer_id, reason="store deleted")
            return finished(EventStatus.ORPHANED, "the store of this customer was deleted")
        with invoices_read_once():
            handler(customer, obj)
    except (StripeUnavailable, DatabaseError) as exc:
        return retry_later(f"{type(exc).__name__}: {exc}")
    except StripeRejected as exc:
        # Stripe refused a read (the object is gone...): retrying cannot help; staff may replay.
        return finished(EventStatus.DEAD, f"StripeRejected: {exc.message}")
    except BillingError as exc:
        return retry_later(f"{type(exc).__name__}: {exc.message}")
    return finished(EventStatus.PROCESSED, tenant_id=customer.tenant_id)


STRIPE_INBOX = Ledger(
    model=StripeEvent,
    name="stripe",
    label="type",
    metric="stripe_events",
    latency_metric="stripe_webhook_processed",
    stuck_setting="BILLING_INBOX_STUCK_SECONDS",
    queue_of=lambda event_type: "high",
    handle=event_handle,
    process_task="billing.stripe_event_process",
    process_queue="high",
    reconcile_task="billing.stripe_inbox_reconcile",
)


def event_process(*, event_pk: int) -> str:
    """Process one inbox row; the outcome, or "skipped" when it is not ours to take now."""
    return STRIPE_INBOX.process(event_pk)
