"""What the seller's privacy center does besides consent: self-service data-subject requests.

"Download my data" is the immediate answer of LGPD Art. 19 I/§3: an access request is opened
(or the open one reused), exported at once and handed back as a signed, expiring link; the
request closes itself when the file is downloaded (the complete answer was delivered).
"Delete my data" opens an erasure request that staff verify and carry out by its legal due date.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import F
from django.http import HttpRequest

from compliance.audit.models import AuditAction
from compliance.audit.services import Actor, actor_for_user, audit_record
from compliance.dsr.exports import export_link_request_id, export_link_token, subject_export
from compliance.dsr.requests import (
    RequestClock,
    dsr_answer_delivered,
    dsr_clock,
    dsr_open,
    identity_required,
)
from compliance.models import (
    OPEN_STATUSES,
    DataSubjectRequest,
    RequestChannel,
    RequestKind,
    RequestScope,
)
from tenants.models import Tenant
from users.models import User

CHANNEL = RequestChannel.PRIVACY_CENTER
DELIVERY_ACTOR = "privacy center download"


@dataclass(frozen=True)
class ExportReady:
    request: DataSubjectRequest
    token: str  # for /privacy/exports/<token>


def privacy_export(
    *, tenant: Tenant, user: User, request: HttpRequest | None = None
) -> ExportReady:
    """Export everything about ``user`` in ``tenant`` now and return the download token."""
    opened = dsr_open(
        tenant=tenant,
        scope=RequestScope.SELLER_USER,
        kind=RequestKind.ACCESS,
        channel=CHANNEL,
        subject_email=user.email,
        by=user,
        verified_by_login=True,
        http_request=request,
    )
    identity_required(opened.request)
    done = subject_export(request=opened.request)
    opened.request.refresh_from_db(fields=["export_path"])
    audit_record(
        action=AuditAction.DATA_EXPORT,
        actor=actor_for_user(user=user, request=request),
        tenant=tenant,
        request=request,
        obj=opened.request,
        details={"channel": CHANNEL, "models": len(done.manifest["models"])},
    )
    return ExportReady(request=opened.request, token=export_link_token(request=opened.request))


def privacy_erasure_request(
    *, tenant: Tenant, user: User, request: HttpRequest | None = None
) -> DataSubjectRequest:
    """Open (or find the open) erasure request of ``user``, verified by their login; staff
    fulfil it by ``due_at``."""
    return dsr_open(
        tenant=tenant,
        scope=RequestScope.SELLER_USER,
        kind=RequestKind.ERASURE,
        channel=CHANNEL,
        subject_email=user.email,
        by=user,
        verified_by_login=True,
        http_request=request,
    ).request


@dataclass(frozen=True)
class OpenRequest:
    request: DataSubjectRequest
    clock: RequestClock


def privacy_open_requests(*, tenant: Tenant, user: User) -> list[OpenRequest]:
    """The user's own open requests in this store with their clocks, soonest due first."""
    found = DataSubjectRequest.objects.filter(
        tenant=tenant,
        scope=RequestScope.SELLER_USER,
        subject_email=user.email.lower(),
        status__in=OPEN_STATUSES,
    ).order_by("due_at")
    return [
        OpenRequest(request=r, clock=dsr_clock(request=r)) for r in found.select_related("tenant")
    ]


def privacy_export_delivered(*, tenant: Tenant, token: str) -> bool:
    """The file of a self-service export was handed out: its request is answered, so close it.

    Only requests the privacy center opened close this way; an export staff made for a request
    received elsewhere is closed by staff. True when this call closed one.
    """
    request_id = export_link_request_id(token=token)
    if request_id is None:
        return False
    request = (
        DataSubjectRequest.objects.filter(
            pk=request_id,
            tenant=tenant,
            scope=RequestScope.SELLER_USER,
            kind=RequestKind.ACCESS,
            channel=CHANNEL,
            status__in=OPEN_STATUSES,
        )
        .select_related("tenant")
        .first()
    )
    if request is None:
        return False
    return dsr_answer_delivered(
        request=request,
        actor=Actor.system(DELIVERY_ACTOR),
        outcome="export downloaded by the subject",
    )


def privacy_buyer_requests(*, tenant: Tenant, limit: int = 50) -> list[DataSubjectRequest]:
    """The store's buyers' requests for its managers: open ones first, soonest due first."""
    return list(
        DataSubjectRequest.objects.filter(tenant=tenant, scope=RequestScope.BUYER).order_by(
            F("completed_at").asc(nulls_first=True), "due_at"
        )[:limit]
    )
