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
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.mail import mail_admins
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from compliance.audit.models import AuditAction
from compliance.audit.services import Actor, actor_for_user, audit_record
from compliance.dsr.lookup import buyers_named
from compliance.errors import (
    IdentityNotVerified,
    RequestInvalid,
    RequestNotPermitted,
    SubjectUnknown,
)
from compliance.models import (
    OPEN_STATUSES,
    DataSubjectRequest,
    IdentityState,
    RequestChannel,
    RequestKind,
    RequestScope,
    RequestStatus,
    VerificationMethod,
)
from compliance.registry import Subject, SubjectKind
from core.redis import redis_client, redis_key
from tenants.models import Tenant
from users.models import User
from users.policy import may_manage

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
    contact_email: str = "",
    by: User | None = None,
    verified_by_login: bool = False,
    http_request: HttpRequest | None = None,
) -> Opened:
    """Record a request (or find the open one it duplicates) and start its legal clock.

    ``by`` is who recorded it (the subject themselves, a seller's manager, staff; the system
    when None); the filing is audited under them. ``verified_by_login``: ``by`` is the subject,
    signed in to their own account, which is the identity check (recorded as such).
    """
    email = subject_email.strip().lower()
    if scope == RequestScope.BUYER and subject_ml_user_id is None:
        raise RequestInvalid("A buyer's request needs the buyer's Mercado Livre user id.")
    if scope == RequestScope.SELLER_USER and not email:
        raise RequestInvalid("A user's request needs the user's e-mail address.")
    if verified_by_login and (by is None or by.email.strip().lower() != email):
        raise RequestInvalid("Only the subject, signed in, verifies a request by logging in.")
    received = received_at or timezone.now()
    open_same = DataSubjectRequest.objects.filter(
        tenant=tenant,
        scope=scope,
        kind=kind,
        subject_email=email,
        subject_ml_user_id=subject_ml_user_id,
        status__in=OPEN_STATUSES,
    )
    actor = actor_for_user(user=by, request=http_request) if by is not None else Actor.system()
    try:
        with transaction.atomic():
            created = DataSubjectRequest.objects.create(
                tenant=tenant,
                scope=scope,
                kind=kind,
                subject_email=email,
                subject_ml_user_id=subject_ml_user_id,
                contact_email=contact_email.strip().lower(),
                channel=channel,
                received_at=received,
                # The simplified answer (Art. 19 I) is the acknowledgement itself.
                simplified_answer_at=received,
                due_at=due_date(
                    received_at=received,
                    small_agent=tenant.is_small_agent,
                    time_zone=tenant.time_zone,
                ),
                filed_by=by.get_username() if by is not None else "",
            )
            audit_record(
                action=AuditAction.DSR_FILED,
                actor=actor,
                tenant=tenant,
                request=http_request,
                obj=created,
                details={
                    "kind": kind,
                    "scope": scope,
                    "channel": channel,
                    "received_at": received.isoformat(),
                },
            )
    except IntegrityError:
        existing = open_same.first()
        if existing is None:
            raise
        if verified_by_login and by is not None:
            _verified(existing, by=by, method=VerificationMethod.LOGIN, note="", actor=actor)
        return Opened(request=existing, created=False)
    if verified_by_login and by is not None:
        _verified(created, by=by, method=VerificationMethod.LOGIN, note="", actor=actor)
    return Opened(request=created, created=True)


# -- a buyer's request filed by staff or by the store's managers --------------------------------

FILE_PERMISSION = "compliance.add_datasubjectrequest"
FILED_KINDS = (
    RequestKind.ACCESS,
    RequestKind.CORRECTION,
    RequestKind.ERASURE,
    RequestKind.PORTABILITY,
    RequestKind.SHARING,
)


def buyer_resolve(*, tenant: Tenant, buyer: str) -> int:
    """The ML buyer id that ``buyer`` (an id, or a nickname in the store's data) names."""
    given = buyer.strip()
    if given.isdigit() and 0 < int(given) < 2**63:  # an ML user id (a bigint column)
        return int(given)
    if not given:
        raise RequestInvalid(_("Enter the buyer's Mercado Livre id or nickname."))
    found = buyers_named(tenant=tenant, nickname=given)
    if not found:
        raise SubjectUnknown(
            _(
                "No buyer named %(nickname)s in this store's orders or questions; "
                "enter their Mercado Livre id."
            )
            % {"nickname": given}
        )
    if len(found) > 1:
        ids = ", ".join(str(i) for i in sorted(found))
        raise RequestInvalid(
            _(
                "%(nickname)s names several buyers in this store (ids %(ids)s); "
                "enter the Mercado Livre id of the one who asked."
            )
            % {"nickname": given, "ids": ids}
        )
    return found.pop()


def received_at_from(*, received_on: date, now: datetime | None = None) -> datetime:
    """When the clock starts for a request received on ``received_on`` (sellers' calendar):
    now when that is today, else the start of that day; never in the future."""
    now = now or timezone.now()
    zone = ZoneInfo(settings.PEEPERS_SELLER_TIME_ZONE)
    today = now.astimezone(zone).date()
    if received_on > today:
        raise RequestInvalid(_("The date received cannot be in the future."))
    if received_on == today:
        return now
    return datetime.combine(received_on, time.min, tzinfo=zone)


def dsr_file(
    *,
    tenant: Tenant,
    by: User,
    kind: RequestKind,
    channel: str,
    subject_ml_user_id: int,
    received_on: date,
    contact_email: str = "",
    http_request: HttpRequest | None = None,
) -> Opened:
    """File a buyer's request for them: staff (who may add requests) or the store's managers
    (the seller is the controller of its buyers' data). Starts the clock from ``received_on``."""
    if not (by.has_perm(FILE_PERMISSION) or may_manage(user=by)):
        raise RequestNotPermitted(_("Only the store's owner or admins may file a buyer's request."))
    if kind not in FILED_KINDS:
        raise RequestInvalid(_("This kind of request cannot be filed for a buyer."))
    if channel == RequestChannel.EMAIL and not contact_email.strip():
        raise RequestInvalid(_("A request received by e-mail needs the address to answer to."))
    return dsr_open(
        tenant=tenant,
        scope=RequestScope.BUYER,
        kind=kind,
        channel=channel,
        subject_ml_user_id=subject_ml_user_id,
        received_at=received_at_from(received_on=received_on),
        contact_email=contact_email,
        by=by,
        http_request=http_request,
    )


# -- identity before disclosure -----------------------------------------------------------------


def _verified(
    request: DataSubjectRequest,
    *,
    by: User,
    method: VerificationMethod,
    note: str,
    actor: Actor,
) -> None:
    now = timezone.now()
    with transaction.atomic():
        moved = (
            DataSubjectRequest.objects.filter(pk=request.pk)
            .exclude(identity=IdentityState.VERIFIED)
            .update(
                identity=IdentityState.VERIFIED,
                verified_at=now,
                verified_by=by.get_username(),
                verification_method=method,
                verification_note=note,
            )
        )
        request.refresh_from_db()
        if moved:
            audit_record(
                action=AuditAction.DSR_IDENTITY_VERIFIED,
                actor=actor,
                tenant=request.tenant,
                obj=request,
                details={"method": method, "note": note},
            )


def dsr_verify(
    *,
    request: DataSubjectRequest,
    by: User,
    method: VerificationMethod,
    note: str = "",
    http_request: HttpRequest | None = None,
) -> None:
    """Record that the requester is the subject: who checked, how and when (audited)."""
    handler_required(by)
    if method == VerificationMethod.LOGIN:
        raise RequestInvalid(_("A login verifies only requests the subject filed themselves."))
    if method == VerificationMethod.OTHER and not note.strip():
        raise RequestInvalid(_("Describe in the note how the identity was verified."))
    _verified(
        request,
        by=by,
        method=method,
        note=note.strip(),
        actor=actor_for_user(user=by, request=http_request),
    )


def identity_required(request: DataSubjectRequest) -> None:
    """Nothing is disclosed or erased for a requester not yet shown to be the subject."""
    if request.identity != IdentityState.VERIFIED:
        raise IdentityNotVerified(
            _("%(request)s: the requester's identity is not verified yet.") % {"request": request}
        )


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


def handler_required(by: User) -> None:
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
    handler_required(by)
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
    handler_required(by)
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
    handler_required(by)
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
