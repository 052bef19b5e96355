"""Billing data (public schema): the plan catalogue, tax rates, and what Stripe tells us.

Amounts are integer centavos. Stripe is the source of truth for customers, subscriptions and
invoices; ``SubscriptionMirror`` and ``InvoiceRecord`` are copies changed only by processing
Stripe events or re-syncs (``billing.sync``), never by hand.
"""

from __future__ import annotations

import uuid
from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models.functions import Now
from django.utils.translation import pgettext_lazy

from inbox.models import WebhookInbox
from tenants.models import Tenant


class TaxRate(models.Model):
    """A tax applied to plan prices (ISS, PIS/COFINS...); Stripe Tax cannot collect these.

    A Stripe tax rate's percentage and inclusiveness cannot change once created: to change a
    rate, archive it and add a new one.
    """

    name = models.CharField(max_length=50, help_text="Shown on invoices, e.g. 'ISS'.")
    description = models.CharField(max_length=200, blank=True)
    jurisdiction = models.CharField(max_length=50, blank=True, help_text="e.g. 'São Paulo - SP'")
    percentage = models.DecimalField(
        max_digits=7,
        decimal_places=4,
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(100))],
    )
    inclusive = models.BooleanField(
        default=True, help_text="Included in the plan's price (Brazilian prices usually are)."
    )
    active = models.BooleanField(default=True)
    stripe_tax_rate_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        kind = "incl." if self.inclusive else "excl."
        return f"{self.name} {self.percentage.normalize()}% ({kind})"


class Plan(models.Model):
    code = models.SlugField(max_length=32, unique=True)
    name = models.CharField(max_length=80)
    monthly_price_cents = models.PositiveIntegerField()
    currency = models.CharField(max_length=3, default="BRL")
    trial_days = models.PositiveSmallIntegerField(default=14)
    is_public = models.BooleanField(
        default=True, help_text="Offered on the signup page; hidden plans stay assignable by staff."
    )
    sort_order = models.PositiveSmallIntegerField(default=0)
    # Limits, enforced where the work happens (billing.entitlements).
    max_ml_accounts = models.PositiveIntegerField(default=1)
    max_items = models.PositiveIntegerField(default=1000, help_text="Items synced from ML.")
    # Counted for the seller (usage ``orders_this_month``), never enforced: no page promises it.
    max_orders_per_month = models.PositiveIntegerField(default=1000)
    sync_interval_minutes = models.PositiveIntegerField(
        default=60, help_text="Shortest time between scheduled incremental syncs."
    )
    api_calls_per_day = models.PositiveIntegerField(default=10_000)
    features = models.JSONField(default=list, blank=True, help_text='e.g. ["csv_export"]')
    tax_rates = models.ManyToManyField(TaxRate, blank=True, related_name="plans")
    # Written by sync_stripe_catalog; a price change creates a new Stripe Price.
    stripe_product_id = models.CharField(max_length=64, blank=True)
    stripe_price_id = models.CharField(max_length=64, blank=True)
    stripe_price_amount = models.PositiveIntegerField(
        null=True, blank=True, help_text="Amount of stripe_price_id, to notice price changes."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["sort_order", "monthly_price_cents"]

    def __str__(self) -> str:
        return self.name


class PortalConfiguration(models.Model):
    """The Stripe Customer Portal configuration our portal sessions run under.

    Stripe will not open a portal without a saved configuration; ``sync_stripe_catalog`` keeps
    one (``key`` "default") whose plan switching lists our plans' current prices.
    """

    key = models.SlugField(max_length=32, unique=True, default="default")
    stripe_configuration_id = models.CharField(max_length=64, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.key}: {self.stripe_configuration_id or '(not in Stripe yet)'}"


class BillingCustomer(models.Model):
    """The Stripe customer of a store. Kept when the store is deleted, to route late events."""

    tenant = models.OneToOneField(
        Tenant, null=True, blank=True, on_delete=models.SET_NULL, related_name="billing_customer"
    )
    tenant_public_id = models.UUIDField(db_index=True)
    stripe_customer_id = models.CharField(max_length=64, unique=True)
    email = models.EmailField(max_length=254)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.stripe_customer_id


class SubscriptionStatus(models.TextChoices):
    # Shown on the billing page. The context keeps these apart from other "Active"/"Paused"
    # (an item's): in Portuguese a subscription (assinatura) takes the feminine.
    NONE = "none", pgettext_lazy("subscription status", "No subscription")
    TRIALING = "trialing", pgettext_lazy("subscription status", "Trialing")
    ACTIVE = "active", pgettext_lazy("subscription status", "Active")
    PAST_DUE = "past_due", pgettext_lazy("subscription status", "Past due")
    UNPAID = "unpaid", pgettext_lazy("subscription status", "Unpaid")
    CANCELED = "canceled", pgettext_lazy("subscription status", "Canceled")
    INCOMPLETE = "incomplete", pgettext_lazy("subscription status", "Incomplete")
    INCOMPLETE_EXPIRED = (
        "incomplete_expired",
        pgettext_lazy("subscription status", "Incomplete (expired)"),
    )
    PAUSED = "paused", pgettext_lazy("subscription status", "Paused")


# Statuses of a subscription that still bills or may bill again (checkout must not add another).
LIVE_STATUSES = frozenset(
    {
        SubscriptionStatus.TRIALING,
        SubscriptionStatus.ACTIVE,
        SubscriptionStatus.PAST_DUE,
        SubscriptionStatus.UNPAID,
        SubscriptionStatus.PAUSED,
        SubscriptionStatus.INCOMPLETE,
    }
)


class SubscriptionMirror(models.Model):
    """What Stripe says about a store's subscription, one row per store."""

    tenant = models.OneToOneField(Tenant, on_delete=models.CASCADE, related_name="subscription")
    stripe_customer_id = models.CharField(max_length=64)
    stripe_subscription_id = models.CharField(max_length=64, blank=True)
    status = models.CharField(
        max_length=24, choices=SubscriptionStatus.choices, default=SubscriptionStatus.NONE
    )
    plan = models.ForeignKey(Plan, null=True, blank=True, on_delete=models.SET_NULL)
    stripe_price_id = models.CharField(max_length=64, blank=True)
    current_period_start = models.DateTimeField(null=True, blank=True)
    current_period_end = models.DateTimeField(null=True, blank=True)
    cancel_at_period_end = models.BooleanField(default=False)
    cancel_at = models.DateTimeField(null=True, blank=True)
    canceled_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    trial_end = models.DateTimeField(null=True, blank=True)
    has_payment_method = models.BooleanField(default=False)
    latest_invoice_id = models.CharField(max_length=64, blank=True)
    latest_invoice_status = models.CharField(max_length=24, blank=True)
    latest_invoice_url = models.URLField(max_length=500, blank=True)
    latest_invoice_attempts = models.PositiveIntegerField(default=0)
    # When the unpaid invoice behind past_due was finalized: the grace period counts from here.
    payment_failed_since = models.DateTimeField(null=True, blank=True)
    dispute_id = models.CharField(max_length=64, blank=True)
    dispute_opened_at = models.DateTimeField(null=True, blank=True)
    synced_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["status"], name="billing_sub_status")]

    def __str__(self) -> str:
        return f"{self.tenant_id}: {self.status}"


class InvoiceRecord(models.Model):
    """A Stripe invoice of a store, as last fetched; the billing page lists these."""

    # Kept when the store is deleted: invoices fall under fiscal retention.
    tenant = models.ForeignKey(
        Tenant, null=True, blank=True, on_delete=models.SET_NULL, related_name="invoices"
    )
    stripe_invoice_id = models.CharField(max_length=64, unique=True)
    stripe_subscription_id = models.CharField(max_length=64, blank=True)
    number = models.CharField(max_length=64, blank=True)
    status = models.CharField(max_length=24)
    billing_reason = models.CharField(max_length=40, blank=True)
    currency = models.CharField(max_length=3, default="brl")
    subtotal = models.IntegerField(default=0)
    tax = models.IntegerField(default=0)
    total = models.IntegerField(default=0)
    amount_paid = models.IntegerField(default=0)
    amount_remaining = models.IntegerField(default=0)
    amount_refunded = models.IntegerField(default=0)
    attempt_count = models.PositiveIntegerField(default=0)
    hosted_invoice_url = models.URLField(max_length=500, blank=True)
    invoice_pdf = models.URLField(max_length=500, blank=True)
    charge_id = models.CharField(max_length=64, blank=True)
    payment_intent_id = models.CharField(max_length=64, blank=True)
    payment_method_type = models.CharField(max_length=32, blank=True)
    period_start = models.DateTimeField(null=True, blank=True)
    period_end = models.DateTimeField(null=True, blank=True)
    stripe_created = models.DateTimeField()
    synced_at = models.DateTimeField()

    class Meta:
        ordering = ["-stripe_created"]
        indexes = [models.Index(fields=["tenant", "-stripe_created"], name="billing_inv_tenant")]

    def __str__(self) -> str:
        return self.number or self.stripe_invoice_id

    @property
    def refundable_cents(self) -> int:
        return max(0, self.amount_paid - self.amount_refunded)


class EventStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    PROCESSING = "processing", "Processing"
    PROCESSED = "processed", "Processed"
    IGNORED = "ignored", "Ignored (type not handled)"
    ORPHANED = "orphaned", "Orphaned (no store for the customer)"
    # Earlier releases parked a row waiting for its retry here; it is claimed like pending.
    FAILED = "failed", "Failed (will retry)"
    DEAD = "dead", "Dead (retries exhausted)"


class StripeEvent(WebhookInbox):
    """The Stripe webhook inbox: one row per event id, whatever the number of deliveries."""

    event_id = models.CharField(max_length=255, unique=True)
    type = models.CharField(max_length=100)
    api_version = models.CharField(max_length=40, blank=True)
    livemode = models.BooleanField(default=False)
    stripe_created = models.DateTimeField(null=True, blank=True)
    object_id = models.CharField(max_length=255, blank=True)
    status = models.CharField(
        max_length=16, choices=EventStatus.choices, default=EventStatus.PENDING
    )
    received_at = models.DateTimeField(db_default=Now())
    deliveries = models.PositiveIntegerField(default=1, db_default=1)
    tries = models.PositiveIntegerField(default=0, db_default=0)
    tenant = models.ForeignKey(
        Tenant, null=True, blank=True, on_delete=models.SET_NULL, related_name="stripe_events"
    )

    ARRIVED_FIELD = "received_at"
    WAITING_STATUSES = (EventStatus.PENDING, EventStatus.FAILED)

    class Meta:
        ordering = ["-received_at"]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="stripe_evt_status_next"),
            models.Index(fields=["type", "received_at"], name="stripe_evt_type_received"),
            # The admin inbox: newest first, by status, and found by the object's id.
            models.Index(fields=["-received_at", "-id"], name="stripe_evt_received"),
            models.Index(
                fields=["status", "-received_at", "-id"], name="stripe_evt_status_received"
            ),
            models.Index(fields=["object_id"], name="stripe_evt_object"),
        ]

    def __str__(self) -> str:
        return f"{self.event_id} {self.type}"


class NoticeKind(models.TextChoices):
    PAYMENT_FAILED = "payment_failed", "Payment failed"
    ACTION_REQUIRED = "action_required", "Payment needs the customer's action"
    TRIAL_ENDING = "trial_ending", "Trial ends soon"
    RENEWAL = "renewal", "Renewal coming"
    DISPUTE = "dispute", "Dispute opened (staff)"


class BillingNotice(models.Model):
    """An e-mail sent about billing; ``key`` makes each one go out at most once."""

    key = models.CharField(max_length=200, unique=True)
    kind = models.CharField(max_length=24, choices=NoticeKind.choices)
    tenant = models.ForeignKey(
        Tenant, null=True, blank=True, on_delete=models.SET_NULL, related_name="billing_notices"
    )
    recipient = models.EmailField(max_length=254)
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-sent_at"]

    def __str__(self) -> str:
        return self.key


class CheckoutStatus(models.TextChoices):
    OPEN = "open", "Open"
    COMPLETE = "complete", "Complete"
    EXPIRED = "expired", "Expired"


class CheckoutAttempt(models.Model):
    """A Checkout Session we created; reused while open so two tabs never make two."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="checkouts")
    plan = models.ForeignKey(Plan, on_delete=models.PROTECT)
    stripe_session_id = models.CharField(max_length=255, unique=True)
    url = models.URLField(max_length=1000)
    status = models.CharField(
        max_length=12, choices=CheckoutStatus.choices, default=CheckoutStatus.OPEN
    )
    started_by = models.EmailField(max_length=254)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.stripe_session_id


class RefundReason(models.TextChoices):
    REQUESTED_BY_CUSTOMER = "requested_by_customer", "Requested by the customer"
    DUPLICATE = "duplicate", "Duplicate charge"
    FRAUDULENT = "fraudulent", "Fraudulent"


class RefundStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
    CANCELED = "canceled", "Canceled"
    REQUIRES_ACTION = "requires_action", "Requires action"


class Refund(models.Model):
    """A refund staff asked for; ``request_id`` comes from the form, so a double submit is one."""

    request_id = models.UUIDField(unique=True)
    tenant = models.ForeignKey(Tenant, null=True, on_delete=models.SET_NULL, related_name="+")
    invoice = models.ForeignKey(InvoiceRecord, on_delete=models.PROTECT, related_name="refunds")
    amount_cents = models.PositiveIntegerField()
    reason = models.CharField(max_length=32, choices=RefundReason.choices)
    note = models.CharField(max_length=500, blank=True)
    requested_by = models.CharField(max_length=254)
    requested_at = models.DateTimeField(auto_now_add=True)
    status = models.CharField(
        max_length=20, choices=RefundStatus.choices, default=RefundStatus.PENDING
    )
    stripe_refund_id = models.CharField(max_length=64, blank=True)
    error = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-requested_at"]

    def __str__(self) -> str:
        return f"{self.amount_cents} of {self.invoice}"
