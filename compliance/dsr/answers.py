"""Answering a data-subject request: export and erasure only for a verified requester, and an
erasure that also ends earlier disclosures (the subject's export files) and confirms itself to
the subject through the channel the request came in by."""

from __future__ import annotations

import logging
from functools import partial

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import QuerySet
from django.template.loader import render_to_string
from django.utils import timezone, translation

from compliance.audit.models import AuditAction
from compliance.audit.services import Actor, actor_for_user, audit_record
from compliance.dsr.erasure import subject_erase
from compliance.dsr.exports import ExportDone, subject_export, subject_exports_withdraw
from compliance.dsr.requests import (
    dsr_erasure_complete,
    dsr_start,
    handler_required,
    identity_required,
)
from compliance.errors import RequestInvalid
from compliance.models import (
    ConfirmationState,
    DataSubjectRequest,
    RequestChannel,
    RequestKind,
    RequestScope,
)
from users.models import User

logger = logging.getLogger(__name__)

# Channels whose answer goes by e-mail: the subject's own address is on the request.
EMAIL_CHANNELS = (RequestChannel.EMAIL, RequestChannel.PRIVACY_CENTER)


def dsr_export(*, request: DataSubjectRequest, by: User) -> ExportDone:
    """Export the subject's data for a verified requester and move the request on."""
    handler_required(by)
    identity_required(request)
    done = subject_export(request=request)
    dsr_start(request=request, by=by)
    return done


def dsr_erase(*, request: DataSubjectRequest, by: User) -> dict[str, int]:
    """Erase the subject's data for a verified erasure request, withdraw their exports and
    confirm it to them; rows changed per model."""
    handler_required(by)
    if request.kind != RequestKind.ERASURE:
        raise RequestInvalid(f"{request}: only erasure requests erase data.")
    identity_required(request)
    changed = subject_erase(request=request)
    dsr_erasure_complete(request=request, by=by, changed=changed)
    actor = actor_for_user(user=by)
    withdrawn = subject_exports_withdraw(request=request)
    if withdrawn:
        audit_record(
            action=AuditAction.DSR_EXPORTS_WITHDRAWN,
            actor=actor,
            tenant=request.tenant,
            obj=request,
            details={"requests": withdrawn},
        )
    erasure_confirmation(request=request, actor=actor)
    return changed


def _confirmation_address(request: DataSubjectRequest) -> str:
    if request.channel not in EMAIL_CHANNELS:
        return ""
    if request.scope == RequestScope.SELLER_USER:
        return request.subject_email
    return request.contact_email


def _controller(request: DataSubjectRequest) -> str:
    return "Peepers" if request.scope == RequestScope.SELLER_USER else request.tenant.name


def erasure_confirmation(*, request: DataSubjectRequest, actor: Actor) -> None:
    """Confirm the erasure to the subject: by e-mail once this transaction commits when the
    request came by e-mail (recorded sent when it is), otherwise left pending for staff to
    send through the request's channel. Either way what is said is recorded."""
    context = {
        "controller": _controller(request),
        "received_at": request.received_at,
        "request_id": request.pk,
    }
    # The store's calendar day, whoever answers (a seller's page, staff in admin, a task).
    with translation.override(settings.LANGUAGE_CODE), timezone.override(request.tenant.time_zone):
        subject = render_to_string(
            "compliance/email/erasure_confirmation_subject.txt", context
        ).strip()
        body = render_to_string("compliance/email/erasure_confirmation.txt", context)
    address = _confirmation_address(request)
    with transaction.atomic():
        DataSubjectRequest.objects.filter(pk=request.pk).update(
            confirmation_state=ConfirmationState.PENDING,
            confirmation_to=address,
            confirmation_text=f"{subject}\n\n{body}",
            confirmation_sent_at=None,
        )
        audit_record(
            action=AuditAction.DSR_CONFIRMATION,
            actor=actor,
            tenant=request.tenant,
            obj=request,
            details={"state": "pending", "channel": request.channel, "by_email": bool(address)},
        )
    request.refresh_from_db()
    if address:
        transaction.on_commit(partial(_confirmation_mail, request.pk, subject, body, address))


def _confirmation_mail(pk: int, subject: str, body: str, address: str) -> None:
    try:
        send_mail(
            subject=subject,
            message=body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            recipient_list=[address],
        )
    except Exception:  # left pending: staff see it and send it another way
        logger.exception("could not e-mail the erasure confirmation of request %s", pk)
        return
    request = DataSubjectRequest.objects.select_related("tenant").get(pk=pk)
    _confirmation_recorded(request, actor=Actor.system("erasure confirmation"), to=address)


def _confirmation_recorded(request: DataSubjectRequest, *, actor: Actor, to: str) -> None:
    with transaction.atomic():
        DataSubjectRequest.objects.filter(pk=request.pk).update(
            confirmation_state=ConfirmationState.SENT,
            confirmation_to=to,
            confirmation_sent_at=timezone.now(),
        )
        audit_record(
            action=AuditAction.DSR_CONFIRMATION,
            actor=actor,
            tenant=request.tenant,
            obj=request,
            # The recipient stays on the request: a buyer's address goes no further.
            details={"state": "sent", "channel": request.channel},
        )


def erasure_confirmations_sent(*, requests: QuerySet[DataSubjectRequest], by: User) -> int:
    """Record that staff sent the pending confirmations among ``requests`` through their
    channel (an ML message, a letter…); how many were pending."""
    handler_required(by)
    pending = list(
        requests.filter(confirmation_state=ConfirmationState.PENDING).select_related("tenant")
    )
    actor = actor_for_user(user=by)
    for request in pending:
        _confirmation_recorded(
            request, actor=actor, to=request.confirmation_to or f"{request.channel}"
        )
    return len(pending)
