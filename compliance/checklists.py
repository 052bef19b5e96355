"""The runbook's compliance checklists as live checks of the real system.

Each item of "LGPD Compliance", "ML API Compliance" and "SaaS Billing Compliance"
(peepers-runbooks.md) is a function that looks at what Peepers actually does now and answers
pass, fail or unknown, with the evidence it used. ``compliance_report`` runs them all.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils import timezone

from peepers.metrics import LATENCY_BUCKETS_MS, metric_read


class Outcome(enum.StrEnum):
    PASS = "pass"  # noqa: S105 - an outcome, not a password
    FAIL = "fail"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class CheckResult:
    checklist: str
    item: str
    outcome: Outcome
    evidence: str
    details: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "outcome": str(self.outcome)}


Check = Callable[[datetime], tuple[Outcome, str, dict[str, Any]]]
CHECKS: list[tuple[str, str, Check]] = []


def check(checklist: str, item: str) -> Callable[[Check], Check]:
    def register(func: Check) -> Check:
        CHECKS.append((checklist, item, func))
        return func

    return register


def checklist_run(*, now: datetime | None = None) -> list[CheckResult]:
    now = now or timezone.now()
    results = []
    for checklist, item, func in CHECKS:
        try:
            outcome, evidence, details = func(now)
        except Exception as exc:
            outcome, evidence, details = Outcome.UNKNOWN, f"the check failed: {exc}", {}
        results.append(CheckResult(checklist, item, outcome, evidence, details))
    return results


def _ok(condition: bool) -> Outcome:
    return Outcome.PASS if condition else Outcome.FAIL


# -- LGPD --------------------------------------------------------------------------------------
LGPD = "LGPD Compliance"


@check(LGPD, "Data minimization implemented")
def _minimization(now: datetime) -> tuple[Outcome, str, dict[str, Any]]:
    from compliance.registry import declarations, registry_gaps

    gaps = registry_gaps()
    fields = sum(len(d.fields) for d in declarations())
    if gaps:
        return Outcome.FAIL, f"{len(gaps)} personal field(s) not in the registry", {"gaps": gaps}
    return Outcome.PASS, f"{fields} personal fields declared, each with its erasure rule", {}


@check(LGPD, "Consent management active")
def _consent(now: datetime) -> tuple[Outcome, str, dict[str, Any]]:
    from compliance.notices.models import Notice, Purpose

    consent_purposes = Purpose.objects.filter(active=True, needs_consent=True).count()
    privacy = (
        Notice.objects.filter(kind="privacy", published=True).order_by("-effective_at").first()
    )
    if privacy is None:
        return Outcome.FAIL, "no published privacy notice", {}
    return (
        _ok(consent_purposes > 0),
        f"privacy notice {privacy.version} published; {consent_purposes} purpose(s) need consent",
        {},
    )


@check(LGPD, "Data retention policies enforced")
def _retention(now: datetime) -> tuple[Outcome, str, dict[str, Any]]:
    from compliance.retention.models import RetentionRun

    last = (
        RetentionRun.objects.filter(dry_run=False, status="succeeded")
        .order_by("-finished_at")
        .first()
    )
    if last is None or last.finished_at is None:
        return Outcome.FAIL, "no successful retention run yet", {}
    age = now - last.finished_at
    return (
        _ok(age <= timedelta(days=2)),
        f"last successful run {last.finished_at:%Y-%m-%d %H:%M} ({age.days} day(s) ago)",
        {},
    )


@check(LGPD, "Subject access requests handled")
def _requests(now: datetime) -> tuple[Outcome, str, dict[str, Any]]:
    from compliance.models import OPEN_STATUSES, DataSubjectRequest

    open_requests = DataSubjectRequest.objects.filter(status__in=OPEN_STATUSES)
    overdue = open_requests.filter(due_at__lt=now).count()
    return (
        _ok(overdue == 0),
        f"{open_requests.count()} open request(s), {overdue} past the legal deadline",
        {},
    )


@check(LGPD, "Privacy by design verified")
def _by_design(now: datetime) -> tuple[Outcome, str, dict[str, Any]]:
    facts = {
        "store data in separate schemas": bool(settings.TENANT_APPS),
        "ML tokens encrypted at rest": bool(settings.FIELD_ENCRYPTION_KEYS),
        "card data never reaches Peepers (hosted Checkout/Portal)": True,
        "secure cookies": bool(getattr(settings, "SESSION_COOKIE_SECURE", False)),
    }
    missing = [name for name, ok in facts.items() if not ok]
    evidence = "all measures in place" if not missing else f"missing: {', '.join(missing)}"
    return _ok(not missing), evidence, {"measures": facts}


@check(LGPD, "DPO contact updated")
def _dpo(now: datetime) -> tuple[Outcome, str, dict[str, Any]]:
    from compliance.models import DataProtectionOfficer

    dpo = DataProtectionOfficer.objects.order_by("-updated_at").first()
    if dpo is None:
        return Outcome.FAIL, "no DPO (encarregado) entered in admin", {}
    age = now - dpo.updated_at
    return _ok(age <= timedelta(days=365)), f"{dpo} confirmed {age.days} day(s) ago", {}


@check(LGPD, "Breach notification procedures tested")
def _drill(now: datetime) -> tuple[Outcome, str, dict[str, Any]]:
    from compliance.breaches.models import BreachDrill

    last = BreachDrill.objects.filter(outcome="passed").order_by("-finished_at").first()
    if last is None:
        return Outcome.FAIL, "no passed breach drill on record (manage.py breach_drill)", {}
    age = now - last.finished_at
    return (
        _ok(age <= timedelta(days=365)),
        f"last passed drill {last.finished_at:%Y-%m-%d} by {last.run_by}",
        {},
    )


# -- Mercado Livre -----------------------------------------------------------------------------
ML = "ML API Compliance"


def _share_within(name: str, limit_ms: int, minutes: int) -> tuple[float | None, float]:
    fields = metric_read(name, minutes=minutes)
    total = sum(v for k, v in fields.items() if k.endswith("|count"))
    if not total:
        return None, 0
    fast = sum(
        v
        for k, v in fields.items()
        if "|le_" in k and k.rsplit("le_", 1)[1] != "inf" and int(k.rsplit("le_", 1)[1]) <= limit_ms
    )
    return fast / total, total


@check(ML, "Webhook 500ms timeout enforced")
def _ml_webhook(now: datetime) -> tuple[Outcome, str, dict[str, Any]]:
    assert 500 in LATENCY_BUCKETS_MS
    share, total = _share_within("ml_webhook_ack", 500, 60)
    if share is None:
        return Outcome.UNKNOWN, "no ML webhook received in the last hour", {}
    return (
        _ok(share >= 0.99),
        f"{share:.2%} of {int(total)} webhooks answered within 500 ms in the last hour",
        {},
    )


@check(ML, "IP whitelist validation active")
def _ml_ips(now: datetime) -> tuple[Outcome, str, dict[str, Any]]:
    allowed = list(settings.ML_WEBHOOK_ALLOWED_IPS)
    if not allowed:
        return Outcome.FAIL, "ML_WEBHOOK_ALLOWED_IPS is empty: any address may post", {}
    return Outcome.PASS, f"{len(allowed)} address(es) or network(s) allowed", {}


@check(ML, "Rate limiting implemented")
def _ml_rate(now: datetime) -> tuple[Outcome, str, dict[str, Any]]:
    target = float(settings.ML_RATE_LIMIT_TARGET)
    return (
        _ok(0 < target <= 0.8 and settings.ML_RATE_LIMIT_PER_MINUTE > 0),
        f"budget {settings.ML_RATE_LIMIT_PER_MINUTE}/min overall, "
        f"{settings.ML_SELLER_RATE_LIMIT_PER_MINUTE}/min per seller, {target:.0%} spent",
        {},
    )


@check(ML, "OAuth 2.0 + PKCE compliant")
def _ml_oauth(now: datetime) -> tuple[Outcome, str, dict[str, Any]]:
    from integrations.models import MLAuthorization

    recent = MLAuthorization.objects.filter(created_at__gte=now - timedelta(days=30))
    without = recent.filter(code_verifier="").count()
    flow = metric_read("ml_oauth_flow", minutes=24 * 60)
    started = flow.get("outcome=started", 0)
    connected = flow.get("outcome=connected", 0)
    evidence = f"{recent.count()} connect attempt(s) in 30 days, {without} without a PKCE verifier"
    if started:
        evidence += f"; {connected / started:.0%} of flows started in 24 h connected"
    return _ok(without == 0), evidence, {}


@check(ML, "Token refresh rotation working")
def _ml_refresh(now: datetime) -> tuple[Outcome, str, dict[str, Any]]:
    counts = metric_read("ml_token_refresh", minutes=24 * 60)
    ok = counts.get("outcome=success", 0)
    total = sum(counts.values())
    if not total:
        return Outcome.UNKNOWN, "no token refresh in the last 24 hours", {}
    return _ok(ok / total > 0.99), f"{ok / total:.2%} of {int(total)} refreshes succeeded", {}


@check(ML, "Error handling comprehensive")
def _ml_errors(now: datetime) -> tuple[Outcome, str, dict[str, Any]]:
    from integrations.models import MLNotification

    day = MLNotification.objects.filter(arrived_at__gte=now - timedelta(days=1))
    total = day.count()
    dead = day.filter(status="dead").count()
    if not total:
        return Outcome.UNKNOWN, "no notification in the last 24 hours", {}
    return _ok(dead / total < 0.01), f"{dead} of {total} notifications dead in 24 h", {}


@check(ML, "Monitoring alerts configured")
def _ml_alerts(now: datetime) -> tuple[Outcome, str, dict[str, Any]]:
    """The runbook's alert rules load, someone hears them, and the evaluator is running."""
    from operations.alerts.models import AlertState
    from operations.alerts.rules import RuleFileError, rules_load
    from operations.incidents.channels import channels_for

    try:
        ruleset = rules_load(Path(settings.ALERT_RULES_FILE))
    except RuleFileError as exc:
        return Outcome.FAIL, f"the alert rules file is rejected: {exc}", {}
    runbook = {
        "webhook_timeout",
        "ml_api_down",
        "database_connection_failed",
        "authentication_failures",
        "rate_limit_exceeded",
    }
    missing = sorted(runbook - {rule.name for rule in ruleset.rules})
    if missing:
        return Outcome.FAIL, f"runbook alert rules missing: {', '.join(missing)}", {}
    if not channels_for(priority="P0"):
        return Outcome.FAIL, "no NOTIFY_URLS channel hears P0 alerts", {}
    last = AlertState.objects.order_by("-evaluated_at").values_list("evaluated_at", flat=True)
    evaluated = last.first()
    if evaluated is None:
        return Outcome.UNKNOWN, f"{len(ruleset.rules)} rules load; never evaluated yet", {}
    if now - evaluated > timedelta(minutes=5):
        return (
            Outcome.FAIL,
            f"alert rules last evaluated {evaluated:%Y-%m-%d %H:%M} UTC: is beat running?",
            {},
        )
    return (
        Outcome.PASS,
        f"{len(ruleset.rules)} rules, P0 heard by {len(channels_for(priority='P0'))} "
        f"channel(s), evaluated {evaluated:%H:%M:%S} UTC",
        {"rules": len(ruleset.rules)},
    )


# -- Billing -----------------------------------------------------------------------------------
BILLING = "SaaS Billing Compliance"


@check(BILLING, "Stripe integration secure")
def _stripe(now: datetime) -> tuple[Outcome, str, dict[str, Any]]:
    from billing.errors import SignatureInvalid
    from billing.webhook import signature_verify

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
    return _ok(bool(secrets) and refused and bool(settings.STRIPE_SECRET_KEY)), evidence, {}


@check(BILLING, "PCI DSS requirements met")
def _pci(now: datetime) -> tuple[Outcome, str, dict[str, Any]]:
    from pathlib import Path

    templates = Path(settings.BASE_DIR) / "templates"
    card_fields = [
        str(path.relative_to(templates))
        for path in templates.rglob("*.html")
        if any(word in path.read_text() for word in ('name="card', 'autocomplete="cc-'))
    ]
    return (
        _ok(not card_fields),
        "card data is entered only on Stripe's hosted Checkout and Portal (SAQ A scope)"
        if not card_fields
        else f"card fields in our templates: {card_fields}",
        {},
    )


@check(BILLING, "Tax calculations accurate")
def _tax(now: datetime) -> tuple[Outcome, str, dict[str, Any]]:
    from billing.models import Plan, TaxRate

    unsynced_rates = TaxRate.objects.filter(active=True, stripe_tax_rate_id="").count()
    stale = [
        p.code
        for p in Plan.objects.filter(is_public=True)
        if not p.stripe_price_id or p.stripe_price_amount != p.monthly_price_cents
    ]
    evidence = f"{unsynced_rates} tax rate(s) not in Stripe; plans not in sync: {stale or 'none'}"
    return _ok(unsynced_rates == 0 and not stale), evidence, {}


@check(BILLING, "Subscription lifecycle managed")
def _lifecycle(now: datetime) -> tuple[Outcome, str, dict[str, Any]]:
    from billing.models import StripeEvent

    week = StripeEvent.objects.filter(received_at__gte=now - timedelta(days=7))
    dead = week.filter(status="dead").count()
    backlog = StripeEvent.objects.filter(
        status__in=["pending", "failed"], received_at__lt=now - timedelta(minutes=15)
    ).count()
    return (
        _ok(dead == 0 and backlog == 0),
        f"{week.count()} Stripe events in 7 days, {dead} dead, {backlog} waiting over 15 min",
        {},
    )


@check(BILLING, "Invoice generation automated")
def _invoices(now: datetime) -> tuple[Outcome, str, dict[str, Any]]:
    from billing.models import InvoiceRecord, SubscriptionMirror

    active = SubscriptionMirror.objects.filter(status="active")
    without = active.exclude(tenant__invoices__stripe_created__gte=now - timedelta(days=35)).count()
    if not active.exists():
        return Outcome.UNKNOWN, "no active subscription", {}
    recent = InvoiceRecord.objects.filter(stripe_created__gte=now - timedelta(days=35)).count()
    return (
        _ok(without == 0),
        f"{recent} invoice(s) in 35 days; {without} active store(s) without one",
        {},
    )


@check(BILLING, "Payment failure handling")
def _dunning(now: datetime) -> tuple[Outcome, str, dict[str, Any]]:
    from billing.models import BillingNotice, SubscriptionMirror

    past_due = SubscriptionMirror.objects.filter(status="past_due").exclude(latest_invoice_id="")
    untold = [
        m.tenant_id
        for m in past_due
        if not BillingNotice.objects.filter(
            key__startswith=f"payment_failed:{m.latest_invoice_id}:"
        ).exists()
    ]
    return (
        _ok(not untold),
        f"{past_due.count()} past-due store(s); {len(untold)} not sent a dunning e-mail",
        {},
    )


@check(BILLING, "Refund processing compliant")
def _refunds(now: datetime) -> tuple[Outcome, str, dict[str, Any]]:
    from billing.models import Refund

    stuck = Refund.objects.filter(status="pending", requested_at__lt=now - timedelta(days=1))
    total = Refund.objects.count()
    return (
        _ok(not stuck.exists()),
        f"{total} refund(s) recorded with who and when; {stuck.count()} pending over a day",
        {},
    )
