"""Deadlines about to pass (or passed) on open breach cases, and the alert sent once for each.

``breach_deadlines_due`` is what the operations module will page on; until then it logs at
WARNING and e-mails ``settings.ADMINS``. A ``BreachAlert`` row per case, deadline and threshold
(unique) makes each alert go out once, however often and wherever this runs. With no staff
address (``STAFF_ALERT_EMAILS`` empty, as in development) no row is written: the alert is not
marked sent, and goes out once an address is set.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

from django.conf import settings
from django.core.mail import mail_admins
from django.db import IntegrityError, transaction

from compliance.breaches import deadlines
from compliance.breaches.models import BreachAlert, BreachCase, Phase

logger = logging.getLogger(__name__)

NEAR = timedelta(hours=12)
ANPD = "anpd"  # the legal deadline to notify the ANPD and the data subjects


@dataclass(frozen=True)
class DeadlineDue:
    case_id: int
    title: str
    deadline: str  # ANPD, or the runbook phase whose target it is
    due_at: datetime
    threshold: str  # "near" or "overdue"
    alerted_now: bool


def _open_deadlines(case: BreachCase) -> list[tuple[str, datetime]]:
    found: list[tuple[str, datetime]] = []
    if case.status in deadlines.PHASE_TARGETS:
        found.append((case.status, case.phase_deadlines[case.status]))
    notice_pending = case.anpd_notified_at is None and case.notification_required is not False
    if notice_pending and case.status in (Phase.CONTAINMENT, Phase.ASSESSMENT, Phase.NOTIFICATION):
        found.append((ANPD, case.notification_due_at))
    return found


def breach_deadlines_due(*, now: datetime, within: timedelta = NEAR) -> list[DeadlineDue]:
    """Deadlines of real open cases that pass within ``within`` of ``now`` or have passed."""
    due: list[DeadlineDue] = []
    cases = BreachCase.objects.filter(is_drill=False).exclude(status=Phase.CLOSED)
    for case in cases.order_by("awareness_at"):
        for name, due_at in _open_deadlines(case):
            if due_at - now > within:
                continue
            threshold = "overdue" if now > due_at else "near"
            alerted = _alert_once(case, name, threshold, due_at, now=now)
            due.append(DeadlineDue(case.pk, case.title, name, due_at, threshold, alerted))
    return due


def _alert_once(
    case: BreachCase, deadline: str, threshold: str, due_at: datetime, *, now: datetime
) -> bool:
    if not settings.ADMINS:
        logger.warning(
            "breach case #%s: %s %s alert not sent: STAFF_ALERT_EMAILS is empty",
            case.pk,
            deadline,
            threshold,
        )
        return False
    try:
        with transaction.atomic():
            BreachAlert.objects.create(
                case=case, deadline=deadline, threshold=threshold, due_at=due_at
            )
    except IntegrityError:
        return False
    what = "notify the ANPD and data subjects" if deadline == ANPD else f"finish {deadline}"
    clock = deadlines.hours_countdown(now=now, deadline=due_at)
    subject = f"Breach case #{case.pk}: {what} - {clock}"
    logger.warning("%s (due %s)", subject, due_at.isoformat())
    message = (
        f"{case.title}\nStatus: {case.status}\nDue: "
        f"{due_at.astimezone(deadlines.BRAZIL):%d/%m/%Y %H:%M} America/Sao_Paulo\n"
        f"Awareness: {case.awareness_at.astimezone(deadlines.BRAZIL):%d/%m/%Y %H:%M}\n"
    )
    transaction.on_commit(partial(_mail, subject, message))
    return True


def _mail(subject: str, message: str) -> None:
    try:
        mail_admins(subject, message, fail_silently=False)
    except Exception:  # the row is kept and the WARNING logged; paging will not depend on SMTP
        logger.exception("could not e-mail the breach alert %r", subject)
