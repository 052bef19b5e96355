"""What a store may do now, from its subscription status and plan: the one answer everyone asks.

Views (``EntitlementMiddleware``), the API, ML sync jobs and ML webhook processing call
``entitlements_for``. Policy (billing-lgpd.md §A2): full while trialing, active, or past_due
within ``BILLING_GRACE_DAYS`` of the failed payment; read-only when past_due after that or
unpaid; blocked when canceled, expired or paused. A store that never subscribed has the plan's
trial from signup, then read-only until it subscribes.
"""

from __future__ import annotations

import contextlib
import enum
import pickle
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import cast

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from redis.exceptions import RedisError

from billing.models import Plan, SubscriptionMirror, SubscriptionStatus
from billing.sync import entitlement_cache_key
from core.redis import redis_client
from tenants.models import Tenant, TenantStatus

CACHE_SECONDS = 60
UPGRADE_PATH = "/billing/"


class Access(enum.StrEnum):
    FULL = "full"
    READ_ONLY = "read_only"
    BLOCKED = "blocked"


@dataclass(frozen=True)
class PlanLimits:
    code: str
    name: str
    max_ml_accounts: int
    max_items: int
    max_orders_per_month: int
    sync_interval_minutes: int
    api_calls_per_day: int
    features: tuple[str, ...]


@dataclass(frozen=True)
class Entitlement:
    access: Access
    status: str
    limits: PlanLimits
    reason: str  # shown to the seller: in the language active when ``entitlements_for`` ran
    until: datetime | None = None  # when FULL access under a trial or grace period ends
    invoice_url: str = ""  # the unpaid invoice to pay, for the dunning banner

    @property
    def may_write(self) -> bool:
        return self.access == Access.FULL

    may_sync = may_write

    @property
    def may_read(self) -> bool:
        return self.access != Access.BLOCKED

    def limit_message(self, what: str) -> str:
        """A refusal that names the limit (``what``, already translated) and where to lift it."""
        return _("%(what)s Upgrade your plan at %(path)s to raise this limit.") % {
            "what": what,
            "path": UPGRADE_PATH,
        }


@dataclass(frozen=True)
class _Facts:
    """The cached inputs: the mirror's fields that matter and the plan's limits."""

    tenant_status: str
    status: str
    limits: PlanLimits
    payment_failed_since: datetime | None
    trial_end: datetime | None
    current_period_end: datetime | None
    cancel_at_period_end: bool
    invoice_url: str = ""


FALLBACK_LIMITS = PlanLimits(
    code="unknown",
    # Lazy: it goes into sentences in the language of whoever reads them (``str`` when used).
    name=cast(str, gettext_lazy("No plan")),
    max_ml_accounts=1,
    max_items=0,
    max_orders_per_month=0,
    sync_interval_minutes=24 * 60,
    api_calls_per_day=0,
    features=(),
)


def plan_limits(plan: Plan | None) -> PlanLimits:
    if plan is None:
        return FALLBACK_LIMITS
    return PlanLimits(
        code=plan.code,
        name=plan.name,
        max_ml_accounts=plan.max_ml_accounts,
        max_items=plan.max_items,
        max_orders_per_month=plan.max_orders_per_month,
        sync_interval_minutes=plan.sync_interval_minutes,
        api_calls_per_day=plan.api_calls_per_day,
        features=tuple(str(f) for f in plan.features or ()),
    )


def _cached(key: str) -> _Facts | None:
    try:
        raw = redis_client().get(key)
    except RedisError:
        return None
    if not isinstance(raw, bytes):
        return None
    try:
        # Our own Redis, written only by _remember below.
        value = pickle.loads(raw)  # noqa: S301
    except Exception:
        return None
    return value if isinstance(value, _Facts) else None


def _remember(key: str, facts: _Facts) -> None:
    # Without Redis the database answers every time; nothing else depends on the cache.
    with contextlib.suppress(RedisError):
        redis_client().set(key, pickle.dumps(facts), ex=CACHE_SECONDS)


def _facts(tenant: Tenant) -> _Facts:
    key = entitlement_cache_key(tenant.pk)
    cached = _cached(key)
    if cached is not None and cached.tenant_status == tenant.status:
        return cached
    mirror = SubscriptionMirror.objects.select_related("plan").filter(tenant=tenant).first()
    if mirror is None or mirror.status == SubscriptionStatus.NONE:
        plan = Plan.objects.filter(code=tenant.plan_code).first()
        created = tenant.created_at or timezone.now()
        trial_days = plan.trial_days if plan else 0
        facts = _Facts(
            tenant_status=tenant.status,
            status=SubscriptionStatus.NONE,
            limits=plan_limits(plan),
            payment_failed_since=None,
            trial_end=created + timedelta(days=trial_days),
            current_period_end=None,
            cancel_at_period_end=False,
        )
    else:
        plan = mirror.plan or Plan.objects.filter(code=tenant.plan_code).first()
        trial_end = mirror.trial_end
        if mirror.status == SubscriptionStatus.INCOMPLETE:
            # A first payment still pending (a boleto, say) does not cut the signup trial short.
            signup = Plan.objects.filter(code=tenant.plan_code).first()
            signup_end = (tenant.created_at or timezone.now()) + timedelta(
                days=signup.trial_days if signup else 0
            )
            trial_end = max(filter(None, [trial_end, signup_end]))
        facts = _Facts(
            tenant_status=tenant.status,
            status=mirror.status,
            limits=plan_limits(plan),
            payment_failed_since=mirror.payment_failed_since,
            trial_end=trial_end,
            current_period_end=mirror.current_period_end,
            cancel_at_period_end=mirror.cancel_at_period_end,
            invoice_url=mirror.latest_invoice_url if mirror.latest_invoice_status == "open" else "",
        )
    _remember(key, facts)
    return facts


def entitlements_for(*, tenant: Tenant, now: datetime | None = None) -> Entitlement:
    """What ``tenant`` may do at ``now`` (default: now)."""
    now = now or timezone.now()
    facts = _facts(tenant)
    limits = facts.limits
    if facts.tenant_status != TenantStatus.ACTIVE:
        return Entitlement(Access.BLOCKED, facts.status, limits, _("This store is not active."))
    status = facts.status
    if status in (SubscriptionStatus.NONE, SubscriptionStatus.INCOMPLETE):
        if facts.trial_end is not None and now < facts.trial_end:
            return Entitlement(Access.FULL, status, limits, _("Free trial."), until=facts.trial_end)
        reason = (
            _("The first payment did not go through; complete it to use Peepers again.")
            if status == SubscriptionStatus.INCOMPLETE
            else _("Your free trial has ended; choose a plan to keep syncing.")
        )
        return Entitlement(Access.READ_ONLY, status, limits, reason, invoice_url=facts.invoice_url)
    if status == SubscriptionStatus.TRIALING:
        return Entitlement(Access.FULL, status, limits, _("Trial."), until=facts.trial_end)
    if status == SubscriptionStatus.ACTIVE:
        until = facts.current_period_end if facts.cancel_at_period_end else None
        return Entitlement(Access.FULL, status, limits, _("Active."), until=until)
    if status == SubscriptionStatus.PAST_DUE:
        since = facts.payment_failed_since
        # No unpaid invoice to count from: fail closed rather than grant grace forever.
        grace_until = since + timedelta(days=settings.BILLING_GRACE_DAYS) if since else now
        if now < grace_until:
            return Entitlement(
                Access.FULL,
                status,
                limits,
                _("A payment failed; update your payment method to avoid interruption."),
                until=grace_until,
                invoice_url=facts.invoice_url,
            )
        return Entitlement(
            Access.READ_ONLY,
            status,
            limits,
            _("A payment is overdue; Peepers is read-only until the invoice is paid."),
            invoice_url=facts.invoice_url,
        )
    if status == SubscriptionStatus.UNPAID:
        return Entitlement(
            Access.READ_ONLY,
            status,
            limits,
            _("Your subscription is unpaid; Peepers is read-only until the invoice is paid."),
            invoice_url=facts.invoice_url,
        )
    if status == SubscriptionStatus.PAUSED:
        reason = _("Your trial ended without a payment method; add one to resume.")
    else:  # canceled, incomplete_expired
        reason = _("Your subscription has ended; subscribe again to use Peepers.")
    return Entitlement(Access.BLOCKED, status, limits, reason)
