"""Taking a data-subject request: the subject, the legal clock, one open request per subject.

Art. 19: the simplified answer (confirmation that data is processed) is immediate; the complete
answer is due within 15 days of the request. A store flagged as a small processing agent has the
doubled term (Res. CD/ANPD 2/2022, Art. 14). Days are calendar days in the store's time zone:
the day of receipt is not counted, the last day is, whole (received on 20/12, due by the end of
04/01). ``dsr_clock`` is the one reading of that clock; pages, alerts and checklists use it.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo

from django.conf import settings
from django.core.mail import mail_admins
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from compliance.audit.models import AuditAction
from compliance.audit.services import Actor, actor_for_user, audit_record
from compliance.errors import RequestInvalid, RequestNotPermitted
from compliance.models import (
    OPEN_STATUSES,
    DataSubjectRequest,
    RequestKind,
    RequestScope,
    RequestStatus,
)
from compliance.registry import Subject, SubjectKind
from core.redis import redis_client, redis_key
from tenants.models import Tenant
from users.models import User

logger = logging.getLogger(__name__)

ANSWER_DAYS = 15


def due_date(*, received_at: datetime, small_agent: bool, time_zone: tzinfo) -> datetime:
    """The complete answer's deadline: the end of the 15th calendar day (30th for a small
    agent) after the day of receipt, in ``time_zone`` (the store's)."""
    received_on = timezone.localtime(received_at, time_zone).date()
    last_day = received_on + timedelta(days=ANSWER_DAYS * (2 if small_agent else 1))
    return datetime.combine(last_day, time.max, tzinfo=time_zone)


@dataclass(frozen=True)
class RequestClock:
    """A request's legal clock read on one day, in its store's calendar."""

    received_on: date
    due_on: date
    days_left: int  # 15 on the day of receipt, 0 on the last day, negative once past it

    @property
    def overdue(self) -> bool:
        return self.days_left < 0

    @property
    def overdue_by(self) -> int:
        return max(0, -self.days_left)

    def __str__(self) -> str:
        if self.overdue:
            return ngettext(
                "overdue by %(days)d day", "overdue by %(days)d days", self.overdue_by
            ) % {"days": self.overdue_by}
        if self.days_left == 0:
            return _("due today")
        return ngettext("%(days)d day left", "%(days)d days left", self.days_left) % {
            "days": self.days_left
        }


def dsr_clock(*, request: DataSubjectRequest, now: datetime | None = None) -> RequestClock:
    """Read ``request``'s clock on the day ``now`` falls on in its store (its tenant is read)."""
    zone = request.tenant.time_zone
    today = timezone.localtime(now or timezone.now(), zone).date()
    due_on = timezone.localtime(request.due_at, zone).date()
    return RequestClock(
        received_on=timezone.localtime(request.received_at, zone).date(),
        due_on=due_on,
        days_left=(due_on - today).days,
    )


def subject_of(request: DataSubjectRequest) -> Subject:
    if request.scope == RequestScope.BUYER:
        return Subject(kind=SubjectKind.BUYER, ml_user_id=request.subject_ml_user_id)
    return Subject(kind=SubjectKind.SELLER_USER, email=request.subject_email)


@dataclass(frozen=True)
class Opened:
    request: DataSubjectRequest
    created: bool  # False: an open request for the same subject and kind already existed


def dsr_open(
    *,
    tenant: Tenant,
    scope: RequestScope,
    kind: RequestKind,
    channel: str,
    subject_email: str = "",
    subject_ml_user_id: int | None = None,
    received_at: datetime | None = None,
) -> Opened:
    """Record a request (or find the open one it duplicates)."""
    email = subject_email.strip().lower()
    if scope == RequestScope.BUYER and subject_ml_user_id is None:
        raise RequestInvalid("A buyer's request needs the buyer's Mercado Livre user id.")
    if scope == RequestScope.SELLER_USER and not email:
        raise RequestInvalid("A user's request needs the user's e-mail address.")
    received = received_at or timezone.now()
    open_same = DataSubjectRequest.objects.filter(
        tenant=tenant,
        scope=scope,
        kind=kind,
        subject_email=email,
        subject_ml_user_id=subject_ml_user_id,
        status__in=OPEN_STATUSES,
    )
    try:
        with transaction.atomic():
            created = DataSubjectRequest.objects.create(
                tenant=tenant,
                scope=scope,
                kind=kind,
                subject_email=email,
                subject_ml_user_id=subject_ml_user_id,
                channel=channel,
                received_at=received,
                # The simplified answer (Art. 19 I) is the acknowledgement itself.
                simplified_answer_at=received,
                due_at=due_date(
                    received_at=received,
                    small_agent=tenant.is_small_agent,
                    time_zone=tenant.time_zone,
                ),
            )
    except IntegrityError:
        existing = open_same.first()
        if existing is None:
            raise
        return Opened(request=existing, created=False)
    return Opened(request=created, created=True)


ALERT_DAYS_LEFT = {"5_days_left": 5, "1_day_left": 1}


def dsr_alerts_due(*, now: datetime | None = None) -> list[tuple[DataSubjectRequest, str]]:
    """Open requests at 5 days left, 1 day left (or due today), or past due: what to tell staff."""
    now = now or timezone.now()
    found: list[tuple[DataSubjectRequest, str]] = []
    for request in DataSubjectRequest.objects.filter(status__in=OPEN_STATUSES).select_related(
        "tenant"
    ):
        clock = dsr_clock(request=request, now=now)
        if clock.overdue:
            found.append((request, "overdue"))
        elif clock.days_left <= ALERT_DAYS_LEFT["1_day_left"]:
            found.append((request, "1_day_left"))
        elif clock.days_left <= ALERT_DAYS_LEFT["5_days_left"]:
            found.append((request, "5_days_left"))
    return found


ALERT_TEXT = {
    "5_days_left": "5 days left",
    "1_day_left": "1 day left",
    "overdue": "OVERDUE",
}


def dsr_alerts_send(*, now: datetime | None = None) -> int:
    """Tell staff about each open request at 5 days left, 1 day left and past due, once each.

    An alert counts as told only once it was mailed: with no staff address
    (``STAFF_ALERT_EMAILS`` empty, as in development) nothing is marked, so the alerts go out
    once an address is set; meanwhile the admin's request list shows every clock.
    """
    due = dsr_alerts_due(now=now)
    if not settings.ADMINS:
        if due:
            logger.warning(
                "%d data-subject request alert(s) not sent: STAFF_ALERT_EMAILS is empty", len(due)
            )
        return 0
    client = redis_client()
    sent = 0
    for request, label in due:
        key = redis_key("dsr-alert", request.pk, label)
        if not client.set(key, "1", nx=True, ex=60 * 86400):
            continue
        logger.warning("data-subject request %s: %s", request.pk, ALERT_TEXT[label])
        clock = dsr_clock(request=request, now=now)
        zone = request.tenant.time_zone
        try:
            mail_admins(
                f"Data-subject request {ALERT_TEXT[label]}: {request}",
                f"{request} was received on "
                f"{timezone.localtime(request.received_at, zone):%d/%m/%Y %H:%M} and the complete "
                f"answer is due by the end of {clock.due_on:%d/%m/%Y} ({zone}; LGPD Art. 19 II).\n"
                f"Status: {request.get_status_display()}; identity: "
                f"{request.get_identity_display()}.",
                fail_silently=False,
            )
        except Exception:
            client.delete(key)  # not told: the next run tries again
            raise
        sent += 1
    return sent


# -- staff handling a request ------------------------------------------------------------------

HANDLE_PERMISSION = "compliance.change_datasubjectrequest"


def _require_handler(by: User) -> None:
    if not by.has_perm(HANDLE_PERMISSION):
        raise RequestNotPermitted("Your staff account may not change data-subject requests.")


def _status_recorded(*, request: DataSubjectRequest, by: User, was: str) -> None:
    audit_record(
        action=AuditAction.DSR_STATUS_CHANGED,
        actor=actor_for_user(user=by),
        tenant=request.tenant,
        obj=request,
        details={"from": was, "to": request.status, "kind": request.kind},
    )


def dsr_start(*, request: DataSubjectRequest, by: User) -> bool:
    """Move a received request to in progress (its export is ready); False if it had moved on."""
    _require_handler(by)
    with transaction.atomic():
        moved = DataSubjectRequest.objects.filter(
            pk=request.pk, status=RequestStatus.RECEIVED
        ).update(status=RequestStatus.IN_PROGRESS, handled_by=by.get_username())
        if moved:
            request.refresh_from_db()
            _status_recorded(request=request, by=by, was=RequestStatus.RECEIVED)
    return bool(moved)


def dsr_erasure_complete(
    *, request: DataSubjectRequest, by: User, changed: Mapping[str, int]
) -> None:
    """Answer an erasure request once the subject's data is erased, keeping what was changed."""
    _require_handler(by)
    with transaction.atomic():
        was = (
            DataSubjectRequest.objects.select_for_update()
            .values_list("status", flat=True)
            .get(pk=request.pk)
        )
        DataSubjectRequest.objects.filter(pk=request.pk).update(
            status=RequestStatus.COMPLETED,
            completed_at=timezone.now(),
            handled_by=by.get_username(),
            outcome=f"erased: {dict(changed)}",
        )
        request.refresh_from_db()
        _status_recorded(request=request, by=by, was=was)


def dsr_mark_answered(*, requests: QuerySet[DataSubjectRequest], by: User) -> int:
    """Mark the open ones among ``requests`` answered; how many were."""
    _require_handler(by)
    with transaction.atomic():
        open_ones = list(
            requests.filter(status__in=OPEN_STATUSES)
            .select_related("tenant")
            .select_for_update(of=("self",))
        )
        answered = {
            "status": RequestStatus.COMPLETED,
            "completed_at": timezone.now(),
            "handled_by": by.get_username(),
        }
        DataSubjectRequest.objects.filter(pk__in=[r.pk for r in open_ones]).update(**answered)
        for request in open_ones:
            was = request.status
            for field, value in answered.items():
                setattr(request, field, value)
            _status_recorded(request=request, by=by, was=was)
    return len(open_ones)


def dsr_answer_delivered(*, request: DataSubjectRequest, actor: Actor, outcome: str) -> bool:
    """Close an open request whose complete answer reached the subject; False if it was closed.

    For answers the system hands over itself (a self-service download), so ``actor`` is
    usually ``Actor.system(...)``; the status change is audited under it.
    """
    with transaction.atomic():
        was = (
            DataSubjectRequest.objects.select_for_update()
            .filter(pk=request.pk, status__in=OPEN_STATUSES)
            .values_list("status", flat=True)
            .first()
        )
        if was is None:
            return False
        DataSubjectRequest.objects.filter(pk=request.pk).update(
            status=RequestStatus.COMPLETED,
            completed_at=timezone.now(),
            handled_by=f"{actor.kind}: {actor.id}"[:254],
            outcome=outcome,
        )
        request.refresh_from_db()
        audit_record(
            action=AuditAction.DSR_STATUS_CHANGED,
            actor=actor,
            tenant=request.tenant,
            obj=request,
            details={"from": was, "to": request.status, "kind": request.kind},
        )
    return True
