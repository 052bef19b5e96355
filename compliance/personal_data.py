"""Personal data of the tenants and users apps (which may not import compliance themselves)."""

from __future__ import annotations

from typing import Any

from django.contrib.admin.models import LogEntry
from django.db.models import QuerySet
from django_tenants.utils import tenant_context

from compliance.audit.models import AuditEvent
from compliance.breaches.models import BreachCase, BreachDrill
from compliance.dsr.scrub import ERASED, erased_email, is_erased_email
from compliance.models import (
    ChecklistAttestation,
    ComplianceReport,
    DataProtectionOfficer,
    DataSubjectRequest,
    ErasedSubject,
)
from compliance.registry import Erasure, Subject, SubjectKind, not_personal, personal_data
from tenants.models import SignupAgreement, Tenant
from users.models import Role, User

SELLER = (SubjectKind.SELLER_USER,)


def _users(tenant: Tenant, subject: Subject) -> QuerySet[Any]:
    return User.objects.filter(email__iexact=subject.email)


personal_data(
    User,
    fields=["email", "full_name"],
    subjects=SELLER,
    locate=_users,
    erasure=Erasure.ANONYMIZE,
    anonymize=lambda user: {
        "email": erased_email(user.email),
        "full_name": "",
        "is_active": False,
        "password": "!erased",
    },
    why_kept="the store's records (admin log, team history) refer to the account",
)


def _owned_store(tenant: Tenant, subject: Subject) -> QuerySet[Any]:
    return Tenant.objects.filter(pk=tenant.pk, owner_email__iexact=subject.email)


def _store_owner_erased(store: Tenant, subject: Subject) -> dict[str, Any]:
    """The store's contact passes to another active owner (erasing the only owner of an open
    store is refused: ``compliance.dsr.owners``); with none, the e-mail is erased."""
    with tenant_context(store):
        others = list(
            User.objects.filter(role=Role.OWNER, is_active=True)
            .exclude(email__iexact=subject.email)
            .order_by("pk")
            .values_list("email", flat=True)
        )
    for email in others:
        taken = Tenant.objects.filter(owner_email__iexact=email).exclude(pk=store.pk).exists()
        if not is_erased_email(email) and not taken:
            return {"owner_email": email.lower()}
    return {"owner_email": erased_email(store.owner_email)}


personal_data(
    Tenant,
    fields=["owner_email"],
    subjects=SELLER,
    locate=_owned_store,
    erasure=Erasure.ANONYMIZE,
    anonymize=lambda store: {"owner_email": erased_email(store.owner_email)},
    anonymize_for=_store_owner_erased,
    why_kept="the store and its contract (invoices, fiscal records) outlive the owner's e-mail",
    schema="public",
)


def _agreements(tenant: Tenant, subject: Subject) -> QuerySet[Any]:
    return SignupAgreement.objects.filter(tenant=tenant, email__iexact=subject.email)


personal_data(
    SignupAgreement,
    fields=["email", "ip_address", "user_agent"],
    subjects=SELLER,
    locate=_agreements,
    erasure=Erasure.ANONYMIZE,
    anonymize=lambda row: {"email": erased_email(row.email), "ip_address": None, "user_agent": ""},
    why_kept="the record that the terms were accepted (and which version, when) is kept",
    schema="public",
)


def _admin_log(tenant: Tenant, subject: Subject) -> QuerySet[Any]:
    """Staff's admin history naming the subject: an object's repr is its e-mail or a string
    that holds it (a user, a store's signup evidence, a request)."""
    named = subject.email or f"ML {subject.ml_user_id}"
    return LogEntry.objects.filter(object_repr__icontains=named)


personal_data(
    LogEntry,
    fields=["object_repr"],
    subjects=(SubjectKind.SELLER_USER, SubjectKind.BUYER),
    locate=_admin_log,
    erasure=Erasure.ANONYMIZE,
    anonymize=lambda entry: {"object_repr": ERASED},
    why_kept="staff's admin history (who changed which object, when) is kept for accountability",
    schema="public",
)


personal_data(
    ErasedSubject,
    fields=["ml_user_id"],
    subjects=(SubjectKind.BUYER,),
    locate=lambda tenant, subject: ErasedSubject.objects.filter(
        tenant=tenant, ml_user_id=subject.ml_user_id
    ),
    erasure=Erasure.KEEP,
    why_kept=(
        "the suppression list keeps an erasure effective while Mercado Livre sends the buyer's "
        "data again (LGPD Arts. 16 I and 18 VI); only the ML user id is kept"
    ),
    schema="public",
)

not_personal(
    DataSubjectRequest,
    fields=[
        "subject_email",
        "contact_email",
        "handled_by",
        "filed_by",
        "verified_by",
        "confirmation_text",
    ],
    reason="the request itself is the evidence that it was answered (Arts. 18-19, 37)",
)


# The audit log and breach register (compliance's own sub-apps).
personal_data(
    AuditEvent,
    fields=["actor_email", "ip_address", "user_agent"],
    subjects=SELLER,
    locate=lambda tenant, subject: AuditEvent.objects.filter(actor_email__iexact=subject.email),
    erasure=Erasure.KEEP,
    why_kept=(
        "access logs must be kept 6 months (Marco Civil da Internet, Lei 12.965/2014, Art. 15) "
        "and security records are kept under LGPD Arts. 7 IX and 46; the retention policy "
        "removes them afterwards"
    ),
    schema="public",
)
not_personal(
    BreachCase,
    fields=[
        "detected_by",
        "containment_started_by",
        "containment_finished_by",
        "assessment_finished_by",
        "notification_finished_by",
        "recovery_finished_by",
        "closed_by",
    ],
    reason="staff members acting on the case (accountability), not data subjects",
)
not_personal(BreachDrill, fields=["run_by"], reason="the staff member who ran the drill")
not_personal(
    DataProtectionOfficer,
    fields=["email", "phone"],
    reason="the encarregado's contact is published by law (LGPD Art. 41 §1)",
)
not_personal(ComplianceReport, fields=["created_by"], reason="the staff member who ran it")
not_personal(
    ChecklistAttestation,
    fields=["attested_by"],
    reason="the staff member who attested a checklist item, kept as the record of who did",
)
