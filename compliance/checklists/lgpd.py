"""The runbook's "LGPD Compliance" checklist."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings

from compliance.attestations import attestable, attestation_evidence
from compliance.breaches.models import BreachDrill
from compliance.checklists.base import Basis, Outcome, check, checklist
from compliance.checklists.card_data import card_data_surfaces
from compliance.dsr.requests import dsr_clock
from compliance.models import (
    OPEN_STATUSES,
    DataProtectionOfficer,
    DataSubjectRequest,
    RequestStatus,
)
from compliance.notices.models import Notice, Purpose
from compliance.registry import declarations, registry_gaps
from compliance.retention.models import RetentionRun

LGPD = checklist("LGPD Compliance", position=2)


@check(LGPD, "Data minimization implemented", position=1)
def _minimization(now: datetime) -> tuple[Outcome, str, dict[str, Any]]:

    gaps = registry_gaps()
    fields = sum(len(d.fields) for d in declarations())
    if gaps:
        return Outcome.FAIL, f"{len(gaps)} personal field(s) not in the registry", {"gaps": gaps}
    return Outcome.PASS, f"{fields} personal fields declared, each with its erasure rule", {}


@check(LGPD, "Consent management active", position=2)
def _consent(now: datetime) -> tuple[Outcome, str, dict[str, Any]]:

    consent_purposes = Purpose.objects.filter(active=True, needs_consent=True).count()
    privacy = (
        Notice.objects.filter(kind="privacy", published=True).order_by("-effective_at").first()
    )
    if privacy is None:
        return Outcome.FAIL, "no published privacy notice", {}
    return (
        Outcome.of(consent_purposes > 0),
        f"privacy notice {privacy.version} published; {consent_purposes} purpose(s) need consent",
        {},
    )


@check(LGPD, "Data retention policies enforced", position=3)
def _retention(now: datetime) -> tuple[Outcome, str, dict[str, Any]]:

    last = (
        RetentionRun.objects.filter(dry_run=False, status="succeeded")
        .order_by("-finished_at")
        .first()
    )
    if last is None or last.finished_at is None:
        return Outcome.FAIL, "no successful retention run yet", {}
    age = now - last.finished_at
    return (
        Outcome.of(age <= timedelta(days=2)),
        f"last successful run {last.finished_at:%Y-%m-%d %H:%M} ({age.days} day(s) ago)",
        {},
    )


@check(LGPD, "Subject access requests handled", position=4)
def _requests(now: datetime) -> tuple[Outcome, str, dict[str, Any]]:
    """Open requests within the legal deadline, and the year's answered ones answered in time;
    with no request in the year there is nothing to show they are handled. Days are read by
    ``dsr_clock``, in each store's calendar, as staff and the subject see them."""
    open_requests = list(
        DataSubjectRequest.objects.filter(status__in=OPEN_STATUSES).select_related("tenant")
    )
    overdue = sum(dsr_clock(request=r, now=now).overdue for r in open_requests)
    year = DataSubjectRequest.objects.filter(received_at__gte=now - timedelta(days=365))
    answered = year.filter(status=RequestStatus.COMPLETED).select_related("tenant")
    answered_count = late = 0
    for request in answered.iterator(chunk_size=500):
        answered_count += 1
        if request.completed_at is not None:
            late += dsr_clock(request=request, now=request.completed_at).overdue
    evidence = (
        f"{len(open_requests)} open request(s), {overdue} past the legal deadline; "
        f"{answered_count} answered in 365 days, {late} after the deadline"
    )
    if not open_requests and not year.exists():
        return Outcome.UNKNOWN, "no data-subject request in 365 days: nothing to check", {}
    return Outcome.of(overdue == 0 and late == 0), evidence, {}


PRIVACY_BY_DESIGN = "Privacy by design verified"
attestable(
    PRIVACY_BY_DESIGN,
    asks="the yearly privacy-by-design review of new features and processors was done",
)


@check(LGPD, PRIVACY_BY_DESIGN, position=5, basis=Basis.CHECK_AND_ATTESTATION)
def _by_design(now: datetime) -> tuple[Outcome, str, dict[str, Any]]:
    """The measures the code can show, and the yearly review a person attests."""
    card_surfaces = card_data_surfaces()
    facts = {
        "store data in separate schemas": bool(settings.TENANT_APPS),
        "ML tokens encrypted at rest": bool(settings.FIELD_ENCRYPTION_KEYS),
        "no card field in our pages or models (hosted Checkout/Portal)": not card_surfaces,
        "secure cookies": bool(getattr(settings, "SESSION_COOKIE_SECURE", False)),
    }
    missing = [name for name, ok in facts.items() if not ok]
    attested, attestation, record = attestation_evidence(item=PRIVACY_BY_DESIGN, now=now)
    details = {"measures": facts, "card_data_surfaces": card_surfaces, **record}
    if missing:
        return Outcome.FAIL, f"missing: {', '.join(missing)}; {attestation}", details
    outcome = Outcome.PASS if attested else Outcome.UNKNOWN
    return outcome, f"{len(facts)} measures in place; {attestation}", details


@check(LGPD, "DPO contact updated", position=6)
def _dpo(now: datetime) -> tuple[Outcome, str, dict[str, Any]]:

    dpo = DataProtectionOfficer.objects.order_by("-updated_at").first()
    if dpo is None:
        return Outcome.FAIL, "no DPO (encarregado) entered in admin", {}
    age = now - dpo.updated_at
    return Outcome.of(age <= timedelta(days=365)), f"{dpo} confirmed {age.days} day(s) ago", {}


@check(LGPD, "Breach notification procedures tested", position=7)
def _drill(now: datetime) -> tuple[Outcome, str, dict[str, Any]]:

    last = BreachDrill.objects.filter(outcome="passed").order_by("-finished_at").first()
    if last is None:
        return Outcome.FAIL, "no passed breach drill on record (manage.py breach_drill)", {}
    age = now - last.finished_at
    return (
        Outcome.of(age <= timedelta(days=365)),
        f"last passed drill {last.finished_at:%Y-%m-%d} by {last.run_by}",
        {},
    )
