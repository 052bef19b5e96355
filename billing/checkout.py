"""Subscribing and changing plans: the Stripe customer, Checkout, plan changes.

Each operation runs under a lock on the store's row, so two tabs (or a double click) are
serialised: the second finds the customer, or the open Checkout Session, the first created.
Every Stripe write carries an idempotency key made of our ids, so a retry after a timeout gets
the object the first try made instead of a second one. Refusals carry a message for the seller,
translated when raised (in the request's language; pt-BR outside a request).
"""

from __future__ import annotations

import logging
import math
import uuid
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from billing.errors import (
    BillingError,
    CheckoutNotAllowed,
    PlanChangeNotAllowed,
    StripeRejected,
)
from billing.models import (
    LIVE_STATUSES,
    BillingCustomer,
    CheckoutAttempt,
    CheckoutStatus,
    Plan,
    SubscriptionMirror,
)
from billing.stripe_api import JSON, idempotency, moment, stripe_call
from billing.sync import subscription_sync
from billing.tax import RateSpec, TaxBreakdown, tax_breakdown
from tenants.models import Tenant

logger = logging.getLogger(__name__)

# Stripe expires a session after 24 h; we stop reusing one a little earlier.
CHECKOUT_REUSE_MARGIN = timedelta(minutes=30)


def tenant_locked(tenant: Tenant) -> Tenant:
    return Tenant.objects.select_for_update().get(pk=tenant.pk)


def customer_ensure(*, tenant: Tenant) -> BillingCustomer:
    """The store's Stripe customer, created on first need (call inside a transaction)."""
    existing = BillingCustomer.objects.filter(tenant=tenant).first()
    if existing is not None:
        return existing
    params = {
        "email": tenant.owner_email,
        "name": tenant.name,
        "metadata": {"tenant_id": str(tenant.public_id), "schema": tenant.schema_name},
        "preferred_locales": ["pt-BR"],
    }
    created = stripe_call(
        lambda c: c.v1.customers.create(
            params=params,  # type: ignore[arg-type]
            options=idempotency("customer", tenant.public_id),  # type: ignore[arg-type]
        ),
        what="customer create",
    )
    return BillingCustomer.objects.create(
        tenant=tenant,
        tenant_public_id=tenant.public_id,
        stripe_customer_id=str(created["id"]),
        email=tenant.owner_email,
    )


def plan_rates(plan: Plan) -> list[RateSpec]:
    return [
        RateSpec(name=r.name, percentage=r.percentage, inclusive=r.inclusive)
        for r in plan.tax_rates.filter(active=True).order_by("pk")
    ]


def plan_price_breakdown(plan: Plan) -> TaxBreakdown:
    return tax_breakdown(amount=plan.monthly_price_cents, rates=plan_rates(plan))


def _stripe_tax_rate_ids(plan: Plan) -> list[str]:
    return [
        r.stripe_tax_rate_id
        for r in plan.tax_rates.filter(active=True).order_by("pk")
        if r.stripe_tax_rate_id
    ]


def session_fetch(session_id: str) -> JSON:
    return stripe_call(
        lambda c: c.v1.checkout.sessions.retrieve(session_id), what="checkout session fetch"
    )


def session_expire(session_id: str) -> JSON:
    return stripe_call(
        lambda c: c.v1.checkout.sessions.expire(
            session_id,
            options=idempotency("checkout-expire", session_id),  # type: ignore[arg-type]
        ),
        what="checkout session expire",
    )


@dataclass(frozen=True)
class CheckoutStarted:
    url: str
    reused: bool


def _sync_quietly(customer: BillingCustomer) -> None:
    try:
        subscription_sync(customer=customer)
    except BillingError:
        logger.info("sync after a completed checkout failed; the webhook will do it")


def checkout_start(
    *, tenant: Tenant, plan: Plan, started_by: str, base_url: str
) -> CheckoutStarted:
    """A Checkout Session (subscription mode) for ``plan``; an open one is reused.

    ``base_url`` is the store's own address, where Stripe sends the customer back.
    """
    if not plan.stripe_price_id or plan.stripe_price_amount != plan.monthly_price_cents:
        # The price shown would not be the price charged until the catalogue is synced.
        raise CheckoutNotAllowed(
            _("The %(plan)s plan is not on sale right now; please try again later.")
            % {"plan": plan.name}
        )
    # The customer commits on its own: a failed session below must not roll back a customer
    # that Stripe keeps (a retry would then meet a stale idempotency key).
    with transaction.atomic():
        customer = customer_ensure(tenant=tenant_locked(tenant))
    completed = False
    with transaction.atomic():
        tenant = tenant_locked(tenant)
        mirror = SubscriptionMirror.objects.filter(tenant=tenant).first()
        if mirror is not None and mirror.status in LIVE_STATUSES:
            raise CheckoutNotAllowed(
                _("This store already has a subscription; change the plan or manage it instead.")
            )
        now = timezone.now()
        reusable = CheckoutAttempt.objects.filter(
            tenant=tenant, status=CheckoutStatus.OPEN, expires_at__gt=now + CHECKOUT_REUSE_MARGIN
        )
        for attempt in reusable:
            session = session_fetch(attempt.stripe_session_id)
            status = str(session.get("status") or CheckoutStatus.EXPIRED)
            if status == CheckoutStatus.OPEN and attempt.plan_id == plan.pk:
                return CheckoutStarted(url=attempt.url, reused=True)
            if status == CheckoutStatus.OPEN:
                # Another plan was chosen meanwhile: close that session so only one can pay.
                session_expire(attempt.stripe_session_id)
                status = CheckoutStatus.EXPIRED
            attempt.status = status
            attempt.save(update_fields=["status"])
            # Paid a moment ago and the webhook is not here yet: never a second subscription.
            completed = completed or status == CheckoutStatus.COMPLETE
        if not completed:
            attempt_id = uuid.uuid4()
            session = stripe_call(
                lambda c: c.v1.checkout.sessions.create(
                    params=_session_params(  # type: ignore[arg-type]
                        tenant=tenant,
                        plan=plan,
                        customer=customer,
                        base_url=base_url,
                        mirror=mirror,
                    ),
                    options=idempotency("checkout", attempt_id),  # type: ignore[arg-type]
                ),
                what="checkout session create",
            )
            CheckoutAttempt.objects.create(
                id=attempt_id,
                tenant=tenant,
                plan=plan,
                stripe_session_id=str(session["id"]),
                url=str(session["url"]),
                started_by=started_by,
                expires_at=moment(session.get("expires_at")) or now + timedelta(hours=24),
            )
    if completed:
        _sync_quietly(customer)
        raise CheckoutNotAllowed(
            _("This store has just subscribed; its subscription appears here in a moment.")
        )
    logger.info("checkout started for %s on plan %s", tenant.schema_name, plan.code)
    return CheckoutStarted(url=str(session["url"]), reused=False)


def _session_params(
    *,
    tenant: Tenant,
    plan: Plan,
    customer: BillingCustomer,
    base_url: str,
    mirror: SubscriptionMirror | None,
) -> JSON:
    subscription_data: JSON = {
        "metadata": {"tenant_id": str(tenant.public_id), "plan_code": plan.code},
    }
    rates = _stripe_tax_rate_ids(plan)
    if rates:
        subscription_data["default_tax_rates"] = rates
    # Only what is left of the signup trial, for a store that never had a subscription.
    if mirror is None or not mirror.stripe_subscription_id:
        left = tenant.created_at + timedelta(days=plan.trial_days) - timezone.now()
        days = math.ceil(left / timedelta(days=1))
        if days >= 1:
            subscription_data["trial_period_days"] = days
    params: JSON = {
        "mode": "subscription",
        "customer": customer.stripe_customer_id,
        "client_reference_id": str(tenant.public_id),
        "line_items": [{"price": plan.stripe_price_id, "quantity": 1}],
        "success_url": f"{base_url}/billing/success?session_id={{CHECKOUT_SESSION_ID}}",
        "cancel_url": f"{base_url}/billing/?checkout=canceled",
        "metadata": {"tenant_id": str(tenant.public_id), "plan_code": plan.code},
        "subscription_data": subscription_data,
        "locale": "pt-BR",
    }
    if settings.STRIPE_CHECKOUT_PAYMENT_METHODS:
        # ``payment_method_types`` is gone from Checkout in the pinned API version: Stripe
        # offers the methods turned on in the Dashboard, and this list narrows them.
        params["allowed_payment_method_types"] = list(settings.STRIPE_CHECKOUT_PAYMENT_METHODS)
    return params


def checkout_return(*, tenant: Tenant, session_id: str) -> SubscriptionMirror | None:
    """The success page: sync now so the store sees its plan without waiting for the webhook.

    The webhook still does the same; both only copy Stripe's state, so the order is harmless.
    """
    attempt = CheckoutAttempt.objects.filter(tenant=tenant, stripe_session_id=session_id).first()
    customer = BillingCustomer.objects.filter(tenant=tenant).first()
    if attempt is None or customer is None:
        return None
    session = session_fetch(session_id)
    status = str(session.get("status") or "")
    if status in CheckoutStatus.values and status != attempt.status:
        CheckoutAttempt.objects.filter(pk=attempt.pk).update(status=status)
    return subscription_sync(customer=customer)


PRORATION_SALT = "billing.plan-change"
PRORATION_MAX_AGE = timedelta(minutes=15)


@dataclass(frozen=True)
class PlanChangePreview:
    plan: Plan
    amount_due: int  # what the proration invoice would charge now (may be negative: a credit)
    lines: tuple[tuple[str, int], ...]
    proration_date: int
    next_total: int
    token: str  # the signed (store, plan, proration date) the confirmation must send back


def proration_token(*, tenant: Tenant, plan: Plan, proration_date: int) -> str:
    return signing.dumps(
        {"store": tenant.pk, "plan": plan.code, "at": proration_date}, salt=PRORATION_SALT
    )


def proration_from_token(*, tenant: Tenant, plan: Plan, token: str) -> int:
    """The previewed proration date, if the token is ours, for this store and plan, and fresh."""
    try:
        payload = signing.loads(token, salt=PRORATION_SALT, max_age=PRORATION_MAX_AGE)
    except signing.BadSignature:
        raise PlanChangeNotAllowed(
            _("That preview is no longer valid (it lasts 15 minutes); preview the change again.")
        ) from None
    if payload.get("store") != tenant.pk or payload.get("plan") != plan.code:
        raise PlanChangeNotAllowed(_("That preview is for another change; preview it again."))
    return int(payload["at"])


def _live_mirror(tenant: Tenant, plan: Plan) -> SubscriptionMirror:
    mirror = SubscriptionMirror.objects.filter(tenant=tenant).first()
    if mirror is None or mirror.status not in LIVE_STATUSES or not mirror.stripe_subscription_id:
        raise PlanChangeNotAllowed(_("There is no subscription to change; subscribe first."))
    if mirror.plan_id == plan.pk:
        raise PlanChangeNotAllowed(
            _("The store is already on the %(plan)s plan.") % {"plan": plan.name}
        )
    if not plan.stripe_price_id:
        raise PlanChangeNotAllowed(_("The %(plan)s plan is not on sale yet.") % {"plan": plan.name})
    return mirror


def _subscription_item(subscription_id: str) -> str:
    sub = stripe_call(
        lambda c: c.v1.subscriptions.retrieve(subscription_id), what="subscription fetch"
    )
    items = (sub.get("items") or {}).get("data") or []
    if not items:
        raise StripeRejected(_("The subscription has no item to change."))
    return str(items[0]["id"])


def _proration_moment(mirror: SubscriptionMirror, at: int | None) -> int:
    """Now, kept inside the current period (Stripe refuses a proration date outside it)."""
    moment_ = at if at is not None else int(timezone.now().timestamp())
    if mirror.current_period_start is not None:
        moment_ = max(moment_, int(mirror.current_period_start.timestamp()))
    if mirror.current_period_end is not None:
        moment_ = min(moment_, int(mirror.current_period_end.timestamp()) - 1)
    return moment_


def plan_change_preview(*, tenant: Tenant, plan: Plan, at: int | None = None) -> PlanChangePreview:
    """What moving to ``plan`` at ``at`` (default now) costs: Stripe's own proration preview."""
    mirror = _live_mirror(tenant, plan)
    item_id = _subscription_item(mirror.stripe_subscription_id)
    proration_date = _proration_moment(mirror, at)
    preview = stripe_call(
        lambda c: c.v1.invoices.create_preview(
            params={
                "customer": mirror.stripe_customer_id,
                "subscription": mirror.stripe_subscription_id,
                "subscription_details": {
                    "items": [{"id": item_id, "price": plan.stripe_price_id}],
                    "proration_behavior": "always_invoice",
                    "proration_date": proration_date,
                },
            }
        ),
        what="plan change preview",
    )
    lines = tuple(
        (str(line.get("description") or ""), int(line.get("amount") or 0))
        for line in (preview.get("lines") or {}).get("data") or []
    )
    return PlanChangePreview(
        plan=plan,
        amount_due=int(preview.get("amount_due") or 0),
        lines=lines,
        proration_date=proration_date,
        next_total=plan_price_breakdown(plan).total,
        token=proration_token(tenant=tenant, plan=plan, proration_date=proration_date),
    )


def plan_change_apply(*, tenant: Tenant, plan: Plan, proration_date: int) -> SubscriptionMirror:
    """Switch the subscription to ``plan``, invoicing the proration now (as previewed)."""
    mirror = _live_mirror(tenant, plan)
    item_id = _subscription_item(mirror.stripe_subscription_id)
    subscription_id = mirror.stripe_subscription_id
    params: JSON = {
        "items": [{"id": item_id, "price": plan.stripe_price_id}],
        "proration_behavior": "always_invoice",
        "proration_date": proration_date,
        "metadata": {"plan_code": plan.code},
    }
    rates = _stripe_tax_rate_ids(plan)
    if rates:
        params["default_tax_rates"] = rates
    stripe_call(
        lambda c: c.v1.subscriptions.update(
            subscription_id,
            params=params,  # type: ignore[arg-type]
            options=idempotency("plan-change", subscription_id, plan.code, proration_date),  # type: ignore[arg-type]
        ),
        what="plan change",
    )
    customer = BillingCustomer.objects.get(stripe_customer_id=mirror.stripe_customer_id)
    synced = subscription_sync(customer=customer)
    assert synced is not None  # the customer belongs to ``tenant``
    logger.info("%s moved to plan %s", tenant.schema_name, plan.code)
    return synced


def checkout_sessions_expire(*, session_ids: list[str]) -> int:
    """Close the given Checkout Sessions that are still open (store closing or deleted)."""
    closed = 0
    for session_id in session_ids:
        if session_fetch(session_id).get("status") == "open":
            session_expire(session_id)
            closed += 1
    CheckoutAttempt.objects.filter(stripe_session_id__in=session_ids).update(
        status=CheckoutStatus.EXPIRED
    )
    return closed
