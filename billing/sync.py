"""Copy Stripe's current state into the mirror: subscriptions, invoices, charges.

Every event handler ends here: it names a customer (or a charge) and this module fetches what
Stripe says *now*, so duplicate and out-of-order deliveries all converge on Stripe's state. A
mirror row is locked while it is fetched and written, so two workers syncing the same store
write one after the other, the later with the later data.

Objects are read as the pinned API version (``2026-10-28.endive``) serves them: the billing
period is on the subscription's items; an invoice names its subscription in
``parent.subscription_details`` and says how it was paid only through its invoice payments
(``payments``, included when expanded, or ``/v1/invoice_payments``); a charge names its
PaymentIntent, whose invoice payment leads back to the invoice.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from django.db import DatabaseError, transaction
from django.utils import timezone
from redis.exceptions import RedisError

from billing.errors import BillingError
from billing.models import (
    LIVE_STATUSES,
    BillingCustomer,
    InvoiceRecord,
    Plan,
    SubscriptionMirror,
    SubscriptionStatus,
)
from billing.stripe_api import JSON, obj_id, stripe_call
from peepers.redis import redis_client, redis_key
from tenants.models import Tenant

logger = logging.getLogger(__name__)

# Most relevant first: the subscription that decides what a store may do.
_RANK: dict[str, int] = {
    SubscriptionStatus.ACTIVE: 0,
    SubscriptionStatus.TRIALING: 0,
    SubscriptionStatus.PAST_DUE: 1,
    SubscriptionStatus.UNPAID: 2,
    SubscriptionStatus.PAUSED: 3,
    SubscriptionStatus.INCOMPLETE: 4,
}
INVOICES_PAGE = 100


LATEST_MOMENT = 253402300799  # 9999-12-31T23:59:59Z, the last second a datetime holds


def moment(value: object) -> datetime | None:
    """A Stripe timestamp as a datetime; None for anything that is not a moment (NaN, ±inf, a
    year past 9999 included)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return datetime.fromtimestamp(value, tz=UTC) if 0 < value <= LATEST_MOMENT else None


def entitlement_cache_key(tenant_id: int) -> str:
    """The Redis key of a store's cached entitlement facts.

    Not Django's cache: its keys carry the *current* schema, so a worker (public schema) could
    not invalidate what a request on the store's host cached. The store's id scopes this key.
    """
    return redis_key("tenant", tenant_id, "billing", "entitlement")


def entitlement_forget(tenant_id: int) -> None:
    try:
        redis_client().delete(entitlement_cache_key(tenant_id))
    except RedisError:
        logger.warning("could not drop the cached entitlement of store %s", tenant_id)


def subscription_chosen(subscriptions: list[JSON]) -> JSON | None:
    """The subscription that governs the store: a live one (newest), else the newest ended."""
    if not subscriptions:
        return None
    return min(
        subscriptions,
        key=lambda s: (_RANK.get(str(s.get("status")), 9), -int(s.get("created") or 0)),
    )


def _period(sub: JSON) -> tuple[datetime | None, datetime | None]:
    items = (sub.get("items") or {}).get("data") or [{}]
    return moment(items[0].get("current_period_start")), moment(items[0].get("current_period_end"))


def _price_id(sub: JSON) -> str:
    items = (sub.get("items") or {}).get("data") or []
    return obj_id(items[0].get("price")) if items else ""


def _plan_for_price(price_id: str) -> Plan | None:
    if not price_id:
        return None
    plan = Plan.objects.filter(stripe_price_id=price_id).first()
    if plan is None:
        # An older price of a plan whose amount changed: Stripe keeps it on the subscription.
        price = stripe_call(lambda c: c.v1.prices.retrieve(price_id), what="price lookup")
        code = (price.get("metadata") or {}).get("plan_code", "")
        plan = Plan.objects.filter(code=code).first() if code else None
    return plan


def subscription_sync(*, customer: BillingCustomer) -> SubscriptionMirror | None:
    """Fetch the customer's subscriptions and write the store's mirror; None without a store."""
    tenant = customer.tenant
    if tenant is None:
        return None
    with transaction.atomic():
        SubscriptionMirror.objects.get_or_create(
            tenant=tenant,
            defaults={
                "stripe_customer_id": customer.stripe_customer_id,
                "synced_at": timezone.now(),
            },
        )
        mirror = SubscriptionMirror.objects.select_for_update().get(tenant=tenant)
        customer_id = customer.stripe_customer_id
        listed = stripe_call(
            lambda c: c.v1.subscriptions.list(
                params={"customer": customer_id, "status": "all", "limit": 100}
            ),
            what="subscription sync",
        )
        sub = subscription_chosen(list(listed.get("data") or []))
        invoice: JSON = {}
        default_method = ""
        if sub is not None:
            invoice_id = obj_id(sub.get("latest_invoice"))
            if invoice_id:
                invoice = invoice_fetch(invoice_id)
                _invoice_store(tenant=tenant, invoice=invoice)
            default_method = obj_id(sub.get("default_payment_method"))
            if not default_method:
                found = stripe_call(
                    lambda c: c.v1.customers.retrieve(customer_id), what="customer fetch"
                )
                settings_ = found.get("invoice_settings") or {}
                default_method = obj_id(settings_.get("default_payment_method"))
        _mirror_apply(mirror, customer_id=customer_id, sub=sub, invoice=invoice)
        mirror.has_payment_method = bool(default_method)
        mirror.save()
        if mirror.plan is not None and tenant.plan_code != mirror.plan.code:
            Tenant.objects.filter(pk=tenant.pk).update(plan_code=mirror.plan.code)
        # Now for this process, and again after commit in case another process re-cached
        # the old state meanwhile.
        entitlement_forget(tenant.pk)
        transaction.on_commit(lambda: entitlement_forget(tenant.pk))
    return mirror


def _mirror_apply(
    mirror: SubscriptionMirror, *, customer_id: str, sub: JSON | None, invoice: JSON
) -> None:
    mirror.stripe_customer_id = customer_id
    mirror.synced_at = timezone.now()
    if sub is None:
        mirror.stripe_subscription_id = ""
        mirror.status = SubscriptionStatus.NONE
        mirror.stripe_price_id = ""
        mirror.current_period_start = mirror.current_period_end = None
        mirror.cancel_at_period_end = False
        mirror.cancel_at = mirror.canceled_at = mirror.ended_at = mirror.trial_end = None
        mirror.latest_invoice_id = mirror.latest_invoice_status = mirror.latest_invoice_url = ""
        mirror.latest_invoice_attempts = 0
        mirror.payment_failed_since = None
        return
    status = str(sub.get("status") or "")
    mirror.stripe_subscription_id = str(sub["id"])
    mirror.status = status if status in SubscriptionStatus.values else SubscriptionStatus.NONE
    mirror.stripe_price_id = _price_id(sub)
    plan = _plan_for_price(mirror.stripe_price_id)
    if plan is not None:
        mirror.plan = plan
    mirror.current_period_start, mirror.current_period_end = _period(sub)
    mirror.cancel_at_period_end = bool(sub.get("cancel_at_period_end"))
    mirror.cancel_at = moment(sub.get("cancel_at"))
    mirror.canceled_at = moment(sub.get("canceled_at"))
    mirror.ended_at = moment(sub.get("ended_at"))
    mirror.trial_end = moment(sub.get("trial_end"))
    mirror.latest_invoice_id = str(invoice.get("id") or "")
    mirror.latest_invoice_status = str(invoice.get("status") or "")
    mirror.latest_invoice_url = str(invoice.get("hosted_invoice_url") or "")
    mirror.latest_invoice_attempts = int(invoice.get("attempt_count") or 0)
    unpaid = mirror.status in (SubscriptionStatus.PAST_DUE, SubscriptionStatus.UNPAID)
    mirror.payment_failed_since = _oldest_unpaid(str(sub["id"])) if unpaid else None


def _oldest_unpaid(subscription_id: str) -> datetime | None:
    """When the oldest still-open invoice of the subscription was finalized: the grace period
    counts from the first unpaid invoice, so later renewals cannot restart it."""
    listed = stripe_call(
        lambda c: c.v1.invoices.list(
            params={"subscription": subscription_id, "status": "open", "limit": 100}
        ),
        what="open invoice list",
    )
    moments = [
        moment((inv.get("status_transitions") or {}).get("finalized_at"))
        or moment(inv.get("created"))
        for inv in listed.get("data") or []
    ]
    found = [m for m in moments if m is not None]
    return min(found) if found else None


def _invoice_store(*, tenant: Tenant | None, invoice: JSON) -> InvoiceRecord | None:
    """Upsert one invoice; drafts and previews (no id or number yet) are not listed."""
    invoice_id = str(invoice.get("id") or "")
    if not invoice_id or invoice.get("status") == "draft":
        return None
    existing = InvoiceRecord.objects.filter(stripe_invoice_id=invoice_id).first()
    payment_intent_id, charge_id = _paid_with(invoice, existing)
    values: dict[str, Any] = {
        "tenant": tenant,
        "stripe_subscription_id": invoice_subscription(invoice),
        "number": str(invoice.get("number") or ""),
        "status": str(invoice.get("status") or ""),
        "billing_reason": str(invoice.get("billing_reason") or ""),
        "currency": str(invoice.get("currency") or "brl"),
        "subtotal": int(invoice.get("subtotal") or 0),
        "tax": _taxes(invoice),
        "total": int(invoice.get("total") or 0),
        "amount_paid": int(invoice.get("amount_paid") or 0),
        "amount_remaining": int(invoice.get("amount_remaining") or 0),
        "attempt_count": int(invoice.get("attempt_count") or 0),
        "hosted_invoice_url": str(invoice.get("hosted_invoice_url") or ""),
        "invoice_pdf": str(invoice.get("invoice_pdf") or ""),
        "charge_id": charge_id,
        "payment_intent_id": payment_intent_id,
        "period_start": moment(invoice.get("period_start")),
        "period_end": moment(invoice.get("period_end")),
        "stripe_created": moment(invoice.get("created")) or timezone.now(),
        "synced_at": timezone.now(),
    }
    record, _ = InvoiceRecord.objects.update_or_create(
        stripe_invoice_id=invoice_id, defaults=values
    )
    return record


def invoice_subscription(invoice: JSON) -> str:
    """The subscription an invoice (or an upcoming-invoice forecast) bills, if any."""
    details = (invoice.get("parent") or {}).get("subscription_details") or {}
    return obj_id(details.get("subscription"))


def invoice_fetch(invoice_id: str) -> JSON:
    """An invoice with its payments: an includable field, only there when expanded."""
    return stripe_call(
        lambda c: c.v1.invoices.retrieve(invoice_id, params={"expand": ["payments"]}),
        what="invoice fetch",
    )


def _payments(invoice: JSON) -> list[JSON]:
    included = invoice.get("payments")
    if isinstance(included, dict):
        return list(included.get("data") or [])
    invoice_id = str(invoice["id"])
    listed = stripe_call(
        lambda c: c.v1.invoice_payments.list(params={"invoice": invoice_id, "limit": 100}),
        what="invoice payment list",
    )
    return list(listed.get("data") or [])


def _paid_with(invoice: JSON, existing: InvoiceRecord | None) -> tuple[str, str]:
    """The PaymentIntent paying (or that paid) the invoice, and the charge once it is paid.

    A paid invoice's charge never changes, so a row that has both is not asked again; an
    invoice that has not been collected (draft, void) asks nothing.
    """
    if existing is not None and existing.charge_id and existing.payment_intent_id:
        return existing.payment_intent_id, existing.charge_id
    status = invoice.get("status")
    if status not in ("open", "paid"):
        return (existing.payment_intent_id, existing.charge_id) if existing else ("", "")
    payments = _payments(invoice)
    chosen = next((p for p in payments if p.get("status") == "paid"), None)
    if chosen is None:
        chosen = next((p for p in payments if p.get("status") == "open"), None)
    if chosen is None:
        return "", ""
    inner = chosen.get("payment") or {}
    intent_id = obj_id(inner.get("payment_intent"))
    charge_id = obj_id(inner.get("charge"))  # paid by a charge that has no PaymentIntent
    if status != "paid":
        return intent_id, ""
    if intent_id and not charge_id:
        intent = stripe_call(
            lambda c: c.v1.payment_intents.retrieve(intent_id), what="payment intent fetch"
        )
        charge_id = obj_id(intent.get("latest_charge"))
    return intent_id, charge_id


def _taxes(invoice: JSON) -> int:
    return sum(int(t.get("amount") or 0) for t in invoice.get("total_taxes") or [])


def invoice_sync(*, customer: BillingCustomer, invoice_id: str) -> InvoiceRecord | None:
    invoice = invoice_fetch(invoice_id)
    if obj_id(invoice.get("customer")) != customer.stripe_customer_id:
        return None
    record = _invoice_store(tenant=customer.tenant, invoice=invoice)
    if record is not None and record.charge_id:
        charge_sync(charge_id=record.charge_id)
    return record


def invoices_sync(*, customer: BillingCustomer) -> int:
    """Every invoice of the customer (newest first, all pages); how many were stored."""
    stored = 0
    starting_after: str | None = None
    customer_id = customer.stripe_customer_id
    while True:
        params: dict[str, Any] = {"customer": customer_id, "limit": INVOICES_PAGE}
        if starting_after:
            params["starting_after"] = starting_after
        page = stripe_call(
            lambda c, p=params: c.v1.invoices.list(params=p),  # type: ignore[misc]
            what="invoice list",
        )
        data = list(page.get("data") or [])
        for invoice in data:
            stored += _invoice_store(tenant=customer.tenant, invoice=invoice) is not None
        if not page.get("has_more") or not data:
            return stored
        starting_after = str(data[-1]["id"])


def invoice_refresh(*, record: InvoiceRecord) -> InvoiceRecord:
    """One stored invoice fetched again (with its payments) and written."""
    stored = _invoice_store(tenant=record.tenant, invoice=invoice_fetch(record.stripe_invoice_id))
    return stored if stored is not None else record


def charge_sync(*, charge_id: str, customer: BillingCustomer | None = None) -> JSON:
    """Refunded amount and payment method type of a charge onto the invoice it paid.

    The row is found by the charge; failing that (an invoice stored before its charge was
    known), by the charge's PaymentIntent through the invoice payments, and, given the
    customer, an invoice never stored is fetched whole.
    """
    charge = stripe_call(lambda c: c.v1.charges.retrieve(charge_id), what="charge fetch")
    details = charge.get("payment_method_details") or {}
    values: dict[str, Any] = {
        "amount_refunded": int(charge.get("amount_refunded") or 0),
        "payment_method_type": str(details.get("type") or ""),
        "synced_at": timezone.now(),
    }
    if InvoiceRecord.objects.filter(charge_id=charge_id).update(**values):
        return charge
    intent_id = obj_id(charge.get("payment_intent"))
    invoice_id = _invoice_paid_by(intent_id) if intent_id else ""
    if not invoice_id:
        return charge
    found = InvoiceRecord.objects.filter(stripe_invoice_id=invoice_id, charge_id="").update(
        charge_id=charge_id, payment_intent_id=intent_id, **values
    )
    if not found and customer is not None:
        invoice_sync(customer=customer, invoice_id=invoice_id)
    return charge


def _invoice_paid_by(intent_id: str) -> str:
    """The invoice a PaymentIntent paid, through its invoice payment."""
    listed = stripe_call(
        lambda c: c.v1.invoice_payments.list(
            params={"payment": {"type": "payment_intent", "payment_intent": intent_id}}
        ),
        what="invoice payment lookup",
    )
    paid = [p for p in listed.get("data") or [] if p.get("status") == "paid"]
    return obj_id(paid[0].get("invoice")) if paid else ""


def subscriptions_reconcile() -> dict[str, int]:
    """``sync_subscriptions``: every store with a Stripe customer, against Stripe."""
    outcome = {"synced": 0, "failed": 0, "live": 0}
    customers = BillingCustomer.objects.filter(tenant__isnull=False).select_related("tenant")
    for customer in customers.iterator():
        try:
            mirror = subscription_sync(customer=customer)
            invoices_sync(customer=customer)
        except (BillingError, DatabaseError):
            logger.exception("could not sync the subscription of %s", customer.stripe_customer_id)
            outcome["failed"] += 1
            continue
        outcome["synced"] += 1
        if mirror is not None and mirror.status in LIVE_STATUSES:
            outcome["live"] += 1
    return outcome
