"""Granting and revoking consent, and the one consent-gated action we run: marketing e-mail.

Every change takes a row lock on the user (``SELECT … FOR UPDATE``), and so does the send, which
checks the ledger under that lock: a revocation that commits first always stops the next send,
and a send already under way finishes before the revocation is recorded (what was processed
before a revocation stays valid, LGPD Art. 8 §5). Revoking is the same one call as granting.
Each change is audited in the same transaction (``compliance.audit``).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.core.mail import send_mail
from django.db import connection, transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _

from compliance.audit.models import AuditAction
from compliance.audit.network import user_agent
from compliance.audit.services import Actor, actor_for_user, audit_record
from compliance.consent.errors import ConsentNotApplicable
from compliance.consent.models import ConsentAction, ConsentChannel, ConsentRecord
from compliance.consent.selectors import consent_current, consent_states
from compliance.notices.selectors import privacy_notice_version, purpose_get
from core.network import client_ip
from tenants.models import Tenant
from users.models import User

MARKETING_EMAIL = "marketing_email"


@dataclass(frozen=True)
class ConsentChange:
    record: ConsentRecord  # the row written, or the decision already in force
    changed: bool  # False: the user had already decided so (a double click, a replayed form)


def _store() -> Tenant | None:
    tenant = getattr(connection, "tenant", None)  # set by django-tenants for the current schema
    return tenant if isinstance(tenant, Tenant) and not tenant.is_public else None


def _lock(user: User) -> User:
    """Serialise everything that reads or writes this user's consent."""
    return User.objects.select_for_update().only("pk", "email", "is_active").get(pk=user.pk)


def _decide(
    *,
    user: User,
    purpose: str,
    action: ConsentAction,
    channel: ConsentChannel,
    request: HttpRequest | None,
    actor: Actor | None,
) -> ConsentChange:
    found = purpose_get(code=purpose)
    if not found.needs_consent:
        raise ConsentNotApplicable(
            _("“%(purpose)s” rests on %(basis)s, not on consent.")
            % {"purpose": found.name, "basis": found.get_legal_basis_display()}
        )
    with transaction.atomic():
        _lock(user)
        state = next(s for s in consent_states(user=user) if s.purpose.code == found.code)
        wanted = action == ConsentAction.GRANTED
        # A revocation with no earlier grant is still written: it records a refusal, so the
        # privacy center stops asking.
        if state.latest is not None and not state.needs_decision and state.granted == wanted:
            return ConsentChange(record=state.latest, changed=False)
        record = ConsentRecord.objects.create(
            user=user,
            purpose_code=found.code,
            notice_version=privacy_notice_version(),
            action=action,
            channel=channel,
            ip_address=client_ip(request) if request is not None else None,
            user_agent=user_agent(request) if request is not None else "",
        )
        audit_record(
            action=AuditAction.CONSENT_GRANTED if wanted else AuditAction.CONSENT_REVOKED,
            actor=actor or actor_for_user(user=user, request=request),
            tenant=_store(),
            request=request,
            obj=record,
            details={
                "purpose": found.code,
                "notice_version": record.notice_version,
                "channel": channel,
                "user_id": user.pk,
            },
        )
    return ConsentChange(record=record, changed=True)


def consent_grant(
    *,
    user: User,
    purpose: str,
    channel: ConsentChannel,
    request: HttpRequest | None = None,
    actor: Actor | None = None,
) -> ConsentChange:
    """Record that ``user`` consents to the purpose coded ``purpose`` under the current notice.

    ``request`` supplies the evidence (address, browser); ``actor`` defaults to the user.
    Granting what is already granted under a version that counts writes nothing.
    """
    return _decide(
        user=user,
        purpose=purpose,
        action=ConsentAction.GRANTED,
        channel=channel,
        request=request,
        actor=actor,
    )


def consent_revoke(
    *,
    user: User,
    purpose: str,
    channel: ConsentChannel,
    request: HttpRequest | None = None,
    actor: Actor | None = None,
) -> ConsentChange:
    """Record that ``user`` withdraws consent (Art. 8 §5); as easy as ``consent_grant``."""
    return _decide(
        user=user,
        purpose=purpose,
        action=ConsentAction.REVOKED,
        channel=channel,
        request=request,
        actor=actor,
    )


def marketing_email_send(*, user: User, subject: str, body: str) -> bool:
    """Send one marketing e-mail if, and only if, ``user`` has a current consent for it.

    Returns whether it was sent. The check and the send happen under the user's lock, so a
    revocation racing the send either commits first (and nothing is sent) or waits for the send.
    The mail is sent inside the transaction on purpose: sending after commit would let a
    revocation slip between the check and the send.
    """
    with transaction.atomic():
        locked = _lock(user)
        if not locked.is_active or not consent_current(user=locked, purpose=MARKETING_EMAIL):
            return False
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [locked.email])
    return True
