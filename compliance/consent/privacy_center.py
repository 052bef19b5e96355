"""What the seller's privacy center does besides consent: self-service data-subject requests.

"Download my data" is the immediate answer of LGPD Art. 19 I/§3: an access request is opened
(or the open one reused), exported at once and handed back as a signed, expiring link.
"Delete my data" opens an erasure request that staff verify and carry out by its legal due date.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import F
from django.http import HttpRequest

from compliance.audit.models import AuditAction
from compliance.audit.services import actor_for_user, audit_record
from compliance.dsr.exports import export_link_token, subject_export
from compliance.dsr.requests import dsr_open, identity_required
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


def privacy_open_requests(*, tenant: Tenant, user: User) -> list[DataSubjectRequest]:
    """The user's own open requests in this store, soonest due first."""
    return list(
        DataSubjectRequest.objects.filter(
            tenant=tenant,
            scope=RequestScope.SELLER_USER,
            subject_email=user.email.lower(),
            status__in=OPEN_STATUSES,
        ).order_by("due_at")
    )


def privacy_buyer_requests(*, tenant: Tenant, limit: int = 50) -> list[DataSubjectRequest]:
    """The store's buyers' requests for its managers: open ones first, soonest due first."""
    return list(
        DataSubjectRequest.objects.filter(tenant=tenant, scope=RequestScope.BUYER).order_by(
            F("completed_at").asc(nulls_first=True), "due_at"
        )[:limit]
    )
