"""Personal data of accounts: invitations, and django-axes' login-attempt records."""

from __future__ import annotations

from typing import Any

from axes.models import (
    AccessAttempt,
    AccessFailureLog,
    AccessLog,
)
from django.db.models import Model, QuerySet

from accounts.models import Invitation
from compliance.dsr.scrub import erased_email
from compliance.registry import Erasure, Locate, Subject, SubjectKind, personal_data

SELLER = [SubjectKind.SELLER_USER]

personal_data(
    Invitation,
    fields=["invited_by_email"],
    subjects=SELLER,
    locate=lambda tenant, subject: Invitation.objects.filter(
        invited_by_email__iexact=subject.email
    ),
    erasure=Erasure.ANONYMIZE,
    anonymize=lambda row: {"invited_by_email": erased_email(row.invited_by_email)},
    why_kept="the invitation belongs to the member who was invited; only the inviter is erased",
)


# Failed and locked-out logins, kept in the schema of the host that was tried: a security
# record that only throttling reads; erased with the person (the lockout simply ends).
def _attempts_of(model: type[Model]) -> Locate:
    def locate(tenant: Any, subject: Subject) -> QuerySet[Any]:
        found: QuerySet[Any] = model._default_manager.filter(username__iexact=subject.email)
        return found

    return locate


for _model in (AccessAttempt, AccessFailureLog, AccessLog):
    personal_data(
        _model,
        fields=["username", "ip_address", "user_agent"],
        subjects=SELLER,
        locate=_attempts_of(_model),
        erasure=Erasure.DELETE,
    )
