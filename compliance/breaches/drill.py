"""The breach drill: the whole procedure on test data, recorded as evidence it was tested.

It opens a case flagged ``is_drill`` whose awareness was 72 h ago, walks the four phases with
simulated timestamps inside the runbook's targets, checks that an incomplete notice is refused,
generates the drafts and checks they carry the facts, checks the deadline arithmetic against
known dates (holidays, weekends, year end), and that the register leaves drills out. The result
is a ``BreachDrill`` row: the runbook checklist item "Breach notification procedures tested".
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta

from django.utils import timezone

from compliance.breaches import deadlines
from compliance.breaches.drafts import NoticeDraft
from compliance.breaches.errors import BreachError, NoticeIncomplete, PhaseOutOfOrder
from compliance.breaches.models import BreachCase, BreachDrill, DrillOutcome, Phase, Severity
from compliance.breaches.register import register_rows
from compliance.breaches.services import (
    breach_advance,
    breach_affected_add,
    breach_notice_drafts,
    breach_open,
    breach_record_notification,
)

logger = logging.getLogger(__name__)

# Awareness (local date, any time of day) -> last day to notify. Each crosses something.
KNOWN_DEADLINES: list[tuple[date, date, str]] = [
    (date(2025, 6, 2), date(2025, 6, 5), "plain week"),
    (date(2025, 6, 6), date(2025, 6, 11), "weekend"),
    (date(2025, 2, 28), date(2025, 3, 5), "Carnaval counts as business days"),
    (date(2025, 4, 17), date(2025, 4, 24), "Good Friday and Tiradentes"),
    (date(2025, 12, 30), date(2026, 1, 5), "New Year across the year boundary"),
]

DRILL_FACTS = {
    "data_nature": "E-mails e telefones de compradores (dados de teste do exercício)",
    "subject_categories": "Compradores de uma loja de teste",
    "security_measures": "Criptografia em repouso, TLS, acesso por papel",
    "risks": "Phishing direcionado aos compradores (exercício)",
    "mitigation_measures": "Credenciais revogadas, acesso bloqueado, monitoramento reforçado",
}
SUBJECTS = 42

Step = dict[str, str | bool]


def breach_drill_run(*, by: str, now: datetime | None = None) -> BreachDrill:
    """Run the drill and record it; a failing step ends the drill as ``failed``."""
    started = now or timezone.now()
    clock = time.monotonic()
    steps: list[Step] = []
    case: BreachCase | None = None

    def step(name: str, check: Callable[[], str]) -> None:
        try:
            detail = check()
        except (_CheckFailed, BreachError) as exc:
            steps.append({"step": name, "ok": False, "detail": str(exc) or type(exc).__name__})
            raise _DrillFailed from exc
        steps.append({"step": name, "ok": True, "detail": detail})

    awareness = started - timedelta(hours=72)
    try:
        step("deadline arithmetic", _check_known_deadlines)
        case = breach_open(
            title="[DRILL] Acesso indevido simulado",
            description="Exercício: credencial de teste vazada dá acesso a pedidos de teste.",
            awareness_at=awareness,
            detected_by="breach_drill",
            detection_method="simulated alert",
            severity=Severity.HIGH,
            by=by,
            is_drill=True,
            at=awareness + timedelta(minutes=5),
        )
        drill_case = case
        step("opened in containment", lambda: _opened(drill_case))
        breach_affected_add(
            case=case, tenant=None, name="Loja de teste (drill)", subjects_count=SUBJECTS
        )
        case = breach_advance(
            case=case, phase=Phase.ASSESSMENT, by=by, at=awareness + timedelta(minutes=45)
        )
        step("phases refuse to be skipped", lambda: _refuses_skip(drill_case, by))
        for field, value in DRILL_FACTS.items():
            setattr(case, field, value)
        case.subjects_count = SUBJECTS
        case.notification_required = True
        case.affected_systems = "Ambiente de teste"
        case.save()
        case = breach_advance(
            case=case, phase=Phase.NOTIFICATION, by=by, at=awareness + timedelta(hours=3)
        )
        step("incomplete notice refused", lambda: _refuses_incomplete(drill_case, by))
        drafts = breach_notice_drafts(case=case)
        step("drafts carry the facts", lambda: _drafts_ok(drafts.all()))
        case = breach_record_notification(
            case=case,
            by=by,
            anpd_protocol="DRILL-NO-REAL-PROTOCOL",
            subjects_channel="e-mail (exercício, nada enviado)",
            at=awareness + timedelta(hours=20),
        )
        case = breach_advance(
            case=case, phase=Phase.RECOVERY, by=by, at=awareness + timedelta(hours=20, minutes=5)
        )
        case = breach_advance(
            case=case, phase=Phase.CLOSED, by=by, at=awareness + timedelta(hours=60)
        )
        final_case = case
        step("phases within the runbook's targets", lambda: _targets_met(final_case))
        step("notified within 3 business days", lambda: _on_time(final_case))
        step("register leaves drills out", lambda: _register_excludes(final_case))
        outcome = DrillOutcome.PASSED
    except _DrillFailed:
        outcome = DrillOutcome.FAILED
    except Exception as exc:  # an unexpected error is a failed drill, recorded with its evidence
        logger.exception("breach drill crashed")
        steps.append({"step": "unexpected error", "ok": False, "detail": repr(exc)})
        outcome = DrillOutcome.FAILED
    drill = BreachDrill.objects.create(
        started_at=started,
        finished_at=timezone.now(),
        run_by=by,
        outcome=outcome,
        duration_ms=int((time.monotonic() - clock) * 1000),
        evidence={"steps": steps, "case_id": case.pk if case is not None else None},
        case=case,
    )
    log = logger.info if outcome == DrillOutcome.PASSED else logger.error
    log("breach drill %s by %s: %s", drill.pk, by, outcome)
    return drill


class _DrillFailed(Exception):
    pass


class _CheckFailed(Exception):
    """A drill check did not hold (a plain exception: asserts vanish under ``python -O``)."""


def _ensure(condition: bool, message: str) -> None:
    if not condition:
        raise _CheckFailed(message)


def _check_known_deadlines() -> str:
    for awareness, expected, why in KNOWN_DEADLINES:
        moment = datetime.combine(awareness, datetime.min.time(), tzinfo=deadlines.BRAZIL)
        got = deadlines.local_date(deadlines.notification_deadline(moment.replace(hour=10)))
        _ensure(got == expected, f"{why}: {awareness} gives {got}, expected {expected}")
    return f"{len(KNOWN_DEADLINES)} known dates match"


def _opened(case: BreachCase) -> str:
    _ensure(case.status == Phase.CONTAINMENT, "not opened in containment")
    expected = deadlines.notification_deadline(case.awareness_at)
    _ensure(case.notification_due_at == expected, "deadline stored differs from deadlines.py")
    return f"notify by {case.notification_due_at.isoformat()}"


def _refuses_skip(case: BreachCase, by: str) -> str:
    try:
        breach_advance(case=case, phase=Phase.RECOVERY, by=by)
    except PhaseOutOfOrder as exc:
        return exc.message
    raise _CheckFailed("skipping to recovery was accepted")


def _refuses_incomplete(case: BreachCase, by: str) -> str:
    kept = BreachCase.objects.values_list("mitigation_measures", flat=True).get(pk=case.pk)
    BreachCase.objects.filter(pk=case.pk).update(mitigation_measures="")
    try:
        breach_record_notification(case=case, by=by, anpd_protocol="X", subjects_channel="e-mail")
    except NoticeIncomplete as exc:
        return exc.message
    finally:
        BreachCase.objects.filter(pk=case.pk).update(mitigation_measures=kept)
    raise _CheckFailed("a notice without mitigation measures was accepted")


def _drafts_ok(drafts: Sequence[NoticeDraft]) -> str:
    texts = [d.body for d in drafts]
    _ensure(len(texts) == 3, f"expected ANPD, one store and subjects drafts, got {len(texts)}")
    for text in texts:
        for fact in (DRILL_FACTS["data_nature"], DRILL_FACTS["risks"]):
            _ensure(fact in text, f"a draft lacks {fact!r}")
    _ensure(str(SUBJECTS) in texts[0], "the ANPD draft lacks the subject count")
    return f"{len(texts)} drafts"


def _targets_met(case: BreachCase) -> str:
    targets = case.phase_deadlines
    finished = {
        "containment": case.containment_finished_at,
        "assessment": case.assessment_finished_at,
        "notification": case.notification_finished_at,
        "recovery": case.recovery_finished_at,
    }
    for phase, at in finished.items():
        if at is None or at > targets[phase]:
            raise _CheckFailed(f"{phase} finished late")
    return "containment, assessment, notification and recovery on target"


def _on_time(case: BreachCase) -> str:
    _ensure(case.subjects_notified_at is not None, "subjects not notified")
    if case.anpd_notified_at is None:
        raise _CheckFailed("ANPD not notified")
    _ensure(case.anpd_notified_at <= case.notification_due_at, "notified after the deadline")
    return f"notified {case.anpd_notified_at.isoformat()}"


def _register_excludes(case: BreachCase) -> str:
    _ensure(all(row["id"] != case.pk for row in register_rows()), "drill in the real register")
    _ensure(
        any(row["id"] == case.pk for row in register_rows(include_drills=True)),
        "drill missing with include_drills",
    )
    return "drill only with include_drills"
