"""The runbook's "SaaS Billing Compliance" checklist, registered with compliance."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings

from billing.errors import SignatureInvalid
from billing.models import (
    BillingNotice,
    InvoiceRecord,
    Plan,
    Refund,
    StripeEvent,
    SubscriptionMirror,
    TaxRate,
)
from billing.webhook import signature_verify
from compliance.attestations import attestable, attestation_evidence
from compliance.checklists import Basis, Outcome, card_data_surfaces, check, checklist

BILLING = checklist("SaaS Billing Compliance", position=1)


@check(BILLING, "Stripe integration secure", position=1)
def _stripe(now: datetime) -> tuple[Outcome, str, dict[str, Any]]:
    secrets = list(settings.STRIPE_WEBHOOK_SECRET)
    try:
        signature_verify(
            payload=b"{}",
            header=f"t={int(now.timestamp())},v1={'0' * 64}",
            secrets=secrets,
            tolerance=settings.STRIPE_WEBHOOK_TOLERANCE_SECONDS,
            now=now.timestamp(),
        )
        refused = False
    except SignatureInvalid:
        refused = True
    live_key = settings.STRIPE_SECRET_KEY.startswith(("sk_live_", "rk_live_"))
    evidence = (
        f"{len(secrets)} webhook secret(s); a forged signature is "
        f"{'refused' if refused else 'ACCEPTED'}; tolerance "
        f"{settings.STRIPE_WEBHOOK_TOLERANCE_SECONDS} s; key mode "
        f"{'live' if live_key else 'test'}"
    )
    return Outcome.of(bool(secrets) and refused and bool(settings.STRIPE_SECRET_KEY)), evidence, {}


PCI = "PCI DSS requirements met"
attestable(
    PCI,
    asks="this year's PCI DSS SAQ A (card data only on Stripe's hosted pages) was completed",
)


@check(BILLING, PCI, position=2, basis=Basis.CHECK_AND_ATTESTATION)
def _pci(now: datetime) -> tuple[Outcome, str, dict[str, Any]]:
    """No card field of ours (the check), and the yearly SAQ A a person signs (attestation)."""
    surfaces = card_data_surfaces()
    attested, attestation, record = attestation_evidence(item=PCI, now=now)
    details = {"card_data_surfaces": surfaces, **record}
    if surfaces:
        return Outcome.FAIL, f"card data could reach Peepers: {', '.join(surfaces)}", details
    evidence = f"no card field in our templates or models (SAQ A scope); {attestation}"
    return (Outcome.PASS if attested else Outcome.UNKNOWN), evidence, details


@check(BILLING, "Tax calculations accurate", position=3)
def _tax(now: datetime) -> tuple[Outcome, str, dict[str, Any]]:
    unsynced_rates = TaxRate.objects.filter(active=True, stripe_tax_rate_id="").count()
    stale = [
        p.code
        for p in Plan.objects.filter(is_public=True)
        if not p.stripe_price_id or p.stripe_price_amount != p.monthly_price_cents
    ]
    evidence = f"{unsynced_rates} tax rate(s) not in Stripe; plans not in sync: {stale or 'none'}"
    if not Plan.objects.filter(is_public=True).exists():
        return Outcome.UNKNOWN, "no public plan: nothing to check", {}
    return Outcome.of(unsynced_rates == 0 and not stale), evidence, {}


@check(BILLING, "Subscription lifecycle managed", position=4)
def _lifecycle(now: datetime) -> tuple[Outcome, str, dict[str, Any]]:
    week = StripeEvent.objects.filter(received_at__gte=now - timedelta(days=7))
    dead = week.filter(status="dead").count()
    backlog = StripeEvent.objects.filter(
        status__in=["pending", "failed"], received_at__lt=now - timedelta(minutes=15)
    ).count()
    evidence = f"{week.count()} Stripe events in 7 days, {dead} dead, {backlog} waiting over 15 min"
    if not week.exists() and not backlog:
        return Outcome.UNKNOWN, "no Stripe event in 7 days: nothing to check", {}
    return Outcome.of(dead == 0 and backlog == 0), evidence, {}


@check(BILLING, "Invoice generation automated", position=5)
def _invoices(now: datetime) -> tuple[Outcome, str, dict[str, Any]]:
    active = SubscriptionMirror.objects.filter(status="active")
    without = active.exclude(tenant__invoices__stripe_created__gte=now - timedelta(days=35)).count()
    if not active.exists():
        return Outcome.UNKNOWN, "no active subscription", {}
    recent = InvoiceRecord.objects.filter(stripe_created__gte=now - timedelta(days=35)).count()
    return (
        Outcome.of(without == 0),
        f"{recent} invoice(s) in 35 days; {without} active store(s) without one",
        {},
    )


@check(BILLING, "Payment failure handling", position=6)
def _dunning(now: datetime) -> tuple[Outcome, str, dict[str, Any]]:
    past_due = SubscriptionMirror.objects.filter(status="past_due").exclude(latest_invoice_id="")
    untold = [
        m.tenant_id
        for m in past_due
        if not BillingNotice.objects.filter(
            key__startswith=f"payment_failed:{m.latest_invoice_id}:"
        ).exists()
    ]
    if not untold and not past_due.exists():
        return Outcome.UNKNOWN, "no past-due subscription: nothing to check", {}
    return (
        Outcome.of(not untold),
        f"{past_due.count()} past-due store(s); {len(untold)} not sent a dunning e-mail",
        {},
    )


@check(BILLING, "Refund processing compliant", position=7)
def _refunds(now: datetime) -> tuple[Outcome, str, dict[str, Any]]:
    stuck = Refund.objects.filter(status="pending", requested_at__lt=now - timedelta(days=1))
    total = Refund.objects.count()
    if not total:
        return Outcome.UNKNOWN, "no refund recorded: nothing to check", {}
    return (
        Outcome.of(not stuck.exists()),
        f"{total} refund(s) recorded with who and when; {stuck.count()} pending over a day",
        {},
    )
