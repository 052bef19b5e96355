"""Billing e-mails: dunning, action required, trial ending, renewal, and the staff dispute alert.

Each e-mail has a key (``payment_failed:<invoice>:<attempt>``...). The ``BillingNotice`` row and
the sending share one transaction: the unique key lets only one worker send, and a failed send
rolls the row back so a retry sends it. The facts in the mail are re-fetched from Stripe, never
taken from the event, so a late or duplicate event cannot send a wrong or second message.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.mail import mail_admins, send_mail
from django.db import IntegrityError, transaction
from django.utils import timezone

from billing.models import (
    LIVE_STATUSES,
    BillingCustomer,
    BillingNotice,
    NoticeKind,
    Plan,
    SubscriptionMirror,
)
from billing.stripe_api import JSON, moment
from core.metrics import metric_count
from core.money import brl
from tenants.models import Tenant, TenantStatus
from tenants.services import store_url

logger = logging.getLogger(__name__)


def notice_send(
    *,
    key: str,
    kind: NoticeKind,
    customer: BillingCustomer,
    subject: str,
    body: str,
    staff: bool = False,
) -> bool:
    """Send once per ``key``; True when this call sent it."""
    tenant = customer.tenant
    recipient = "staff" if staff else (tenant.owner_email if tenant else customer.email)
    try:
        with transaction.atomic():
            BillingNotice.objects.create(key=key, kind=kind, tenant=tenant, recipient=recipient)
            if staff:
                mail_admins(subject, body, fail_silently=False)
            else:
                send_mail(
                    subject=subject,
                    message=body,
                    from_email=settings.DEFAULT_FROM_EMAIL,
                    recipient_list=[recipient],
                )
    except IntegrityError:
        return False
    metric_count("billing_notices", {"kind": kind})
    logger.info("billing notice %s sent to %s", key, recipient)
    return True


def _store_day(customer: BillingCustomer, moment: datetime) -> str:
    """``moment``'s day in the store's calendar, day first (``06/12/2026``)."""
    tenant = customer.tenant
    zone = tenant.time_zone if tenant else ZoneInfo(settings.PEEPERS_SELLER_TIME_ZONE)
    return f"{timezone.localtime(moment, zone):%d/%m/%Y}"


def _billing_url(customer: BillingCustomer) -> str:
    tenant = customer.tenant
    return store_url(tenant.schema_name, "/billing/") if tenant else ""


def payment_failed_notify(*, customer: BillingCustomer, invoice: JSON) -> bool:
    """The dunning e-mail for one failed attempt of an invoice that is still unpaid."""
    if invoice.get("status") != "open":
        return False  # paid, voided or written off since: nothing to ask for
    attempt = int(invoice.get("attempt_count") or 0)
    retry = moment(invoice.get("next_payment_attempt"))
    retry_line = f"We will try again on {_store_day(customer, retry)}.\n" if retry else ""
    amount = brl(int(invoice.get("amount_remaining") or invoice.get("amount_due") or 0))
    return notice_send(
        key=f"payment_failed:{invoice['id']}:{attempt}",
        kind=NoticeKind.PAYMENT_FAILED,
        customer=customer,
        subject="Pagamento recusado / Payment failed — Peepers",
        body=(
            f"The payment of {amount} for your Peepers subscription (invoice "
            f"{invoice.get('number') or invoice['id']}) did not go through.\n{retry_line}\n"
            f"Pay it now: {invoice.get('hosted_invoice_url') or _billing_url(customer)}\n"
            f"Update your payment method: {_billing_url(customer)}\n"
        ),
    )


def action_required_notify(*, customer: BillingCustomer, invoice: JSON) -> bool:
    if invoice.get("status") != "open":
        return False
    attempt = int(invoice.get("attempt_count") or 0)
    return notice_send(
        key=f"action_required:{invoice['id']}:{attempt}",
        kind=NoticeKind.ACTION_REQUIRED,
        customer=customer,
        subject="Confirme seu pagamento / Confirm your payment — Peepers",
        body=(
            "Your bank asks you to confirm the payment of your Peepers subscription.\n\n"
            f"Confirm it here: {invoice.get('hosted_invoice_url') or _billing_url(customer)}\n"
        ),
    )


def trial_ending_notify(*, customer: BillingCustomer, subscription: JSON) -> bool:
    """Three days before the trial ends (Stripe's trial_will_end), if it is still a trial."""
    trial_end = moment(subscription.get("trial_end"))
    if subscription.get("status") != "trialing" or trial_end is None:
        return False
    if trial_end <= timezone.now():
        return False
    return notice_send(
        key=f"trial_ending:{subscription['id']}:{subscription.get('trial_end')}",
        kind=NoticeKind.TRIAL_ENDING,
        customer=customer,
        subject="Seu período de teste termina em breve / Your trial ends soon — Peepers",
        body=(
            f"Your Peepers trial ends on {_store_day(customer, trial_end)}.\n"
            "Add or check your payment method so syncing goes on without interruption:\n"
            f"{_billing_url(customer)}\n"
        ),
    )


def renewal_notify(*, customer: BillingCustomer, upcoming: JSON, subscription_id: str) -> bool:
    when = upcoming.get("next_payment_attempt") or upcoming.get("period_end")
    due = moment(when)
    if due is None:
        return False
    return notice_send(
        key=f"renewal:{subscription_id}:{when}",
        kind=NoticeKind.RENEWAL,
        customer=customer,
        subject="Sua assinatura será renovada / Your subscription renews soon — Peepers",
        body=(
            f"Your Peepers subscription renews on {_store_day(customer, due)} for "
            f"{brl(int(upcoming.get('amount_due') or 0))}.\nManage it at {_billing_url(customer)}\n"
        ),
    )


def dispute_alert(*, customer: BillingCustomer, dispute: JSON) -> bool:
    tenant = customer.tenant
    store = tenant.schema_name if tenant else f"deleted store ({customer.tenant_public_id})"
    logger.error(
        "stripe dispute %s opened on charge %s of %s",
        dispute.get("id"),
        dispute.get("charge"),
        store,
    )
    return notice_send(
        key=f"dispute:{dispute.get('id')}",
        kind=NoticeKind.DISPUTE,
        customer=customer,
        staff=True,
        subject=f"Dispute opened: {store}",
        body=(
            f"A dispute ({dispute.get('reason') or 'no reason given'}) of "
            f"{brl(int(dispute.get('amount') or 0))} was opened on charge {dispute.get('charge')} "
            f"of {store} (Stripe customer {customer.stripe_customer_id}).\n"
            "Respond in the Stripe dashboard before the evidence deadline.\n"
        ),
    )


SIGNUP_TRIAL_NOTICE_DAYS = 3


def signup_trial_reminders(*, now: datetime | None = None) -> int:
    """E-mail stores whose signup trial ends within 3 days and that have not subscribed.

    Stripe's ``trial_will_end`` covers trials of subscriptions; a store that never opened
    Checkout has only the signup trial, which is Peepers' own. Each store is told once.
    """
    now = now or timezone.now()
    sent = 0
    live = SubscriptionMirror.objects.filter(status__in=LIVE_STATUSES).values("tenant_id")
    stores = Tenant.objects.filter(status=TenantStatus.ACTIVE).exclude(pk__in=live)
    trials = dict(Plan.objects.values_list("code", "trial_days"))
    for tenant in stores.exclude(schema_name="public").iterator():
        ends = tenant.created_at + timedelta(days=trials.get(tenant.plan_code, 0))
        if not now < ends <= now + timedelta(days=SIGNUP_TRIAL_NOTICE_DAYS):
            continue
        customer = BillingCustomer(tenant=tenant, email=tenant.owner_email)
        sent += notice_send(
            key=f"signup_trial_ending:{tenant.public_id}",
            kind=NoticeKind.TRIAL_ENDING,
            customer=customer,
            subject="Seu período de teste termina em breve / Your trial ends soon — Peepers",
            body=(
                f"Your Peepers trial ends on {_store_day(customer, ends)}. Choose a plan "
                f"to keep syncing: {store_url(tenant.schema_name, '/billing/')}\n"
            ),
        )
    return sent
