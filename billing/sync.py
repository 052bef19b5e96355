"""Copy Stripe's current state into the mirror: a store's subscription (invoices: invoices.py).

Every event handler ends here: it names a customer (or a charge) and this module fetches what
Stripe says *now*, so duplicate and out-of-order deliveries all converge on Stripe's state. A
mirror row is locked while it is fetched and written, so two workers syncing the same store
write one after the other, the later with the later data.

Subscriptions are read as the pinned API version (``2026-10-28.endive``) serves them: the
billing period is on the subscription's items, and there is no ``plan``.
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.db import DatabaseError, transaction
from django.utils import timezone
from redis.exceptions import RedisError

from billing.errors import BillingError
from billing.invoices import invoice_fetch, invoice_store, invoices_sync
from billing.models import (
    LIVE_STATUSES,
    BillingCustomer,
    Plan,
    SubscriptionMirror,
    SubscriptionStatus,
)
from billing.signals import plan_changed
from billing.stripe_api import JSON, moment, obj_id, stripe_call
from core.redis import redis_client, redis_key
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
                invoice_store(tenant=tenant, invoice=invoice)
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
            previous, code = tenant.plan_code, mirror.plan.code
            Tenant.objects.filter(pk=tenant.pk).update(plan_code=code)
        else:
            previous = code = ""
        # Now for this process, and again after commit in case another process re-cached
        # the old state meanwhile; only then are listeners told of a new plan.
        entitlement_forget(tenant.pk)
        transaction.on_commit(lambda: entitlement_forget(tenant.pk))
        if code:
            transaction.on_commit(lambda: _plan_changed_send(tenant, previous, code))
    return mirror


def _plan_changed_send(tenant: Tenant, previous: str, plan: str) -> None:
    """Tell listeners; one that fails is logged, never undoes or stops the others (what they
    do is also done by their own schedules)."""
    results = plan_changed.send_robust(sender=Tenant, tenant=tenant, previous=previous, plan=plan)
    for listener, result in results:
        if isinstance(result, Exception):
            logger.error(
                "plan change of %s: %r failed", tenant.schema_name, listener, exc_info=result
            )


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
