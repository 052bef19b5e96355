"""What staff do with a breach case: open it, add stores, advance its phases, record notices.

Every step records who (staff e-mail) and when. Phases run in the runbook's order, and the
notification is recorded only with the Art. 48 §1 minimum content filled in. Drafts of the
notices are in ``drafts.py``, the register export in ``register.py``, alerts in ``alerts.py``.
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from compliance.breaches.drafts import NoticeDrafts, drafts_for
from compliance.breaches.errors import (
    BreachError,
    NoticeIncomplete,
    NotificationUndecided,
    PhaseOutOfOrder,
)
from compliance.breaches.models import PHASE_ORDER, AffectedTenant, BreachCase, Phase, Severity
from tenants.models import Tenant

logger = logging.getLogger(__name__)

# Entering a phase finishes the previous one: phase entered -> (timestamp field, by field).
_FINISHES: dict[str, tuple[str, str]] = {
    Phase.ASSESSMENT: ("containment_finished_at", "containment_finished_by"),
    Phase.NOTIFICATION: ("assessment_finished_at", "assessment_finished_by"),
    Phase.RECOVERY: ("notification_finished_at", "notification_finished_by"),
    Phase.CLOSED: ("recovery_finished_at", "recovery_finished_by"),
}


def breach_open(
    *,
    title: str,
    description: str,
    awareness_at: datetime,
    detected_by: str,
    by: str,
    detection_method: str = "",
    severity: Severity = Severity.MEDIUM,
    is_drill: bool = False,
    at: datetime | None = None,
) -> BreachCase:
    """Open a case in containment; the notification clock runs from ``awareness_at``."""
    if timezone.is_naive(awareness_at):
        raise BreachError("The awareness time needs a time zone.")
    if awareness_at > timezone.now():
        raise BreachError("Awareness cannot be in the future.")
    at = at or timezone.now()
    case = BreachCase.objects.create(
        title=title,
        description=description,
        awareness_at=awareness_at,
        detected_by=detected_by,
        detection_method=detection_method,
        severity=severity,
        is_drill=is_drill,
        containment_started_at=at,
        containment_started_by=by,
    )
    log = logger.info if is_drill else logger.warning
    log("breach case %s opened by %s; notify by %s", case.pk, by, case.notification_due_at)
    return case


def breach_affected_add(
    *, case: BreachCase, tenant: Tenant | None, subjects_count: int | None, name: str = ""
) -> AffectedTenant:
    """Record a store as affected (``tenant=None`` with a ``name`` for a store no longer here)."""
    if tenant is None and not name:
        raise BreachError("Name the store when it is not a current tenant.")
    if tenant is not None:
        row, _ = AffectedTenant.objects.update_or_create(
            case=case, tenant=tenant, defaults={"subjects_count": subjects_count}
        )
        return row
    return AffectedTenant.objects.create(
        case=case, tenant=None, tenant_name=name, subjects_count=subjects_count
    )


def breach_record_notification(
    *,
    case: BreachCase,
    by: str,
    anpd_protocol: str,
    subjects_channel: str,
    at: datetime | None = None,
) -> BreachCase:
    """Record that the ANPD, the data subjects and the affected stores were notified.

    Refused unless the case is in the notification phase and the Art. 48 §1 content is complete
    (with the reasons for delay when ``at`` is past the deadline).
    """
    at = at or timezone.now()
    with transaction.atomic():
        case = BreachCase.objects.select_for_update().get(pk=case.pk)
        if case.status != Phase.NOTIFICATION:
            raise PhaseOutOfOrder("Notices are recorded in the notification phase.")
        missing = case.missing_art48_fields(at=at)
        if not anpd_protocol.strip():
            missing.append("the ANPD protocol number")
        if not subjects_channel.strip():
            missing.append("how the data subjects were told")
        if missing:
            raise NoticeIncomplete(missing)
        case.notification_required = True
        case.anpd_notified_at = case.subjects_notified_at = case.tenants_notified_at = at
        case.anpd_protocol = anpd_protocol.strip()
        case.subjects_notice_channel = subjects_channel.strip()
        case.save()
    logger.info("breach case %s: notification recorded by %s", case.pk, by)
    return case


def breach_advance(
    *, case: BreachCase, phase: Phase | str, by: str, at: datetime | None = None
) -> BreachCase:
    """Move ``case`` into ``phase``, the next in order, finishing the current one.

    Leaving assessment needs the decision whether to notify; leaving notification needs the
    notices recorded (``breach_record_notification``) or the reason for not notifying.
    """
    at = at or timezone.now()
    target = str(phase)
    with transaction.atomic():
        case = BreachCase.objects.select_for_update().get(pk=case.pk)
        current = PHASE_ORDER.index(case.status)
        if target not in PHASE_ORDER or PHASE_ORDER.index(target) != current + 1:
            raise PhaseOutOfOrder(
                f"Case #{case.pk} is in {case.status}; the next phase is "
                f"{PHASE_ORDER[current + 1] if current + 1 < len(PHASE_ORDER) else 'none'}, "
                f"not {target}."
            )
        if at < _last_step_at(case):
            raise BreachError("A phase cannot finish before the previous step.")
        _check_can_leave(case, target=target, at=at)
        at_field, by_field = _FINISHES[target]
        setattr(case, at_field, at)
        setattr(case, by_field, by)
        if target == Phase.CLOSED:
            case.closed_at, case.closed_by = at, by
        case.status = target
        case.save()
    logger.info("breach case %s entered %s (by %s)", case.pk, target, by)
    return case


def breach_next_phase(case: BreachCase) -> str | None:
    index = PHASE_ORDER.index(case.status)
    return PHASE_ORDER[index + 1] if index + 1 < len(PHASE_ORDER) else None


def breach_notice_drafts(*, case: BreachCase) -> NoticeDrafts:
    """Drafts of the notices to the ANPD, each affected store's owner and the data subjects."""
    return drafts_for(case)


def _last_step_at(case: BreachCase) -> datetime:
    steps = [case.containment_started_at] + [
        getattr(case, at_field) for at_field, _ in _FINISHES.values()
    ]
    return max(step for step in steps if isinstance(step, datetime))


def _check_can_leave(case: BreachCase, *, target: str, at: datetime) -> None:
    if target == Phase.NOTIFICATION and case.notification_required is None:
        raise NotificationUndecided(
            "Decide in assessment whether the incident may cause relevant risk or harm "
            "(notification required: yes or no)."
        )
    if target != Phase.RECOVERY:
        return
    if case.notification_required:
        if case.anpd_notified_at is None or case.subjects_notified_at is None:
            raise NotificationUndecided(
                "Record the notices to the ANPD and the data subjects before recovery."
            )
        missing = case.missing_art48_fields(at=case.anpd_notified_at)
        if missing:
            raise NoticeIncomplete(missing)
    elif not case.not_notified_reason.strip():
        raise NotificationUndecided(
            "Write why the ANPD and the data subjects are not notified; the register keeps it."
        )
