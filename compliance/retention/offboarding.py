"""Offboarding a closed store: the owner's final export, an e-mail saying where it is, then
the store's schema dropped. The tenant row stays (billing and invoices point at it).

Each step is recorded in ``StoreOffboarding`` in the transaction that does it, so a run that
dies halfway resumes at the first step not done, and nothing is dropped before the export
exists and the owner has been told. The store's host is gone with its schema, so the export is
moved under ``MEDIA_ROOT/offboarding/`` and served on the public host
(``compliance.retention.urls``) with the same signed token as any export link.
"""

from __future__ import annotations

import logging
import shutil
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.core import signing
from django.core.mail import send_mail
from django.db import connection, transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext
from django_tenants.utils import get_public_schema_name, quote_schema_name, schema_exists

from compliance.audit.models import AuditAction
from compliance.audit.services import Actor, ObjectRef, audit_record
from compliance.dsr.exports import LINK_SALT, export_link_token, subject_export
from compliance.dsr.requests import dsr_open
from compliance.models import DataSubjectRequest, RequestKind, RequestScope, RequestStatus
from compliance.retention.errors import OffboardingLinkInvalid, StoreNotClosed, StoreUnknown
from compliance.retention.models import StoreOffboarding
from tenants.context import use_public_schema
from tenants.models import Tenant, TenantStatus
from tenants.services import public_url

logger = logging.getLogger(__name__)

OFFBOARDING_DIR = "offboarding"
DOWNLOAD_PATH = "/retention/offboarding/"


def _actor(by: str) -> Actor:
    return Actor.staff(email=by) if "@" in by else Actor.system(by)


def store_for_schema(*, schema_name: str) -> Tenant:
    tenant = Tenant.objects.filter(schema_name=schema_name).first()
    if tenant is None or tenant.is_public:
        raise StoreUnknown(f"There is no store “{schema_name}”.")
    return tenant


def store_offboard(*, tenant: Tenant, by: str) -> StoreOffboarding:
    """Final export, owner told, schema dropped, for one closed store; now, and only once."""
    if tenant.is_public or tenant.schema_name == settings.PEEPERS_TEMPLATE_SCHEMA:
        raise StoreNotClosed("The public tenant and the template are never offboarded.")
    if tenant.status != TenantStatus.CLOSED:
        raise StoreNotClosed(f"{tenant.schema_name} is {tenant.status}; close the store first.")
    use_public_schema()
    offboarding, _ = StoreOffboarding.objects.get_or_create(
        tenant_public_id=tenant.public_id,
        defaults={"tenant": tenant, "schema_name": tenant.schema_name, "actor": by[:254]},
    )
    if offboarding.schema_dropped_at is not None:
        return offboarding
    if offboarding.exported_at is None:
        _final_export(offboarding, tenant)
    if offboarding.notified_at is None:
        _owner_notify(offboarding, tenant)
    _schema_drop(offboarding, tenant, by=by)
    logger.info("store %s offboarded by %s", tenant.schema_name, by)
    return offboarding


def _final_export(offboarding: StoreOffboarding, tenant: Tenant) -> None:
    opened = dsr_open(
        tenant=tenant,
        scope=RequestScope.SELLER_USER,
        kind=RequestKind.PORTABILITY,
        channel="offboarding",
        subject_email=tenant.owner_email,
    )
    done = subject_export(request=opened.request)
    root = Path(settings.MEDIA_ROOT)
    target = root / OFFBOARDING_DIR / tenant.schema_name / done.path.name
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.move(done.path, target)
    relative = str(target.relative_to(root))
    now = timezone.now()
    with transaction.atomic():
        DataSubjectRequest.objects.filter(pk=opened.request.pk).update(
            export_path=relative,
            status=RequestStatus.COMPLETED,
            completed_at=now,
            handled_by=offboarding.actor,
            outcome="final export before the store's data was deleted (offboarding)",
        )
        StoreOffboarding.objects.filter(pk=offboarding.pk).update(
            request=opened.request, export_path=relative, exported_at=now
        )
        audit_record(
            action=AuditAction.DATA_EXPORT,
            actor=_actor(offboarding.actor),
            tenant=tenant,
            obj=ObjectRef(type="retention.storeoffboarding", id=str(offboarding.pk)),
            details={"request": opened.request.pk, "reason": "offboarding final export"},
        )
    offboarding.refresh_from_db()


def download_url(offboarding: StoreOffboarding) -> str:
    """The public-host link to the final export (signed; expires with any export link)."""
    assert offboarding.request is not None
    return public_url(f"{DOWNLOAD_PATH}{export_link_token(request=offboarding.request)}")


def _owner_notify(offboarding: StoreOffboarding, tenant: Tenant) -> None:
    """E-mail the owner once; a failed send rolls the mark back, so the next run retries."""
    context = {
        "store": tenant,
        "days": settings.COMPLIANCE_EXPORT_LINK_DAYS,
        "link": download_url(offboarding),
    }
    # In the sellers' default language (pt-BR), not in that of the staff member who runs it:
    # the owner's own language is not stored.
    with translation.override(settings.LANGUAGE_CODE):
        subject = render_to_string("compliance/email/offboarding_subject.txt", context).strip()
        body = render_to_string("compliance/email/offboarding.txt", context)
    with transaction.atomic():
        marked = StoreOffboarding.objects.filter(
            pk=offboarding.pk, notified_at__isnull=True
        ).update(notified_at=timezone.now())
        if marked:
            send_mail(
                subject=subject,
                message=body,
                from_email=settings.DEFAULT_FROM_EMAIL,
                recipient_list=[tenant.owner_email],
            )
    offboarding.refresh_from_db()


def _schema_drop(offboarding: StoreOffboarding, tenant: Tenant, *, by: str) -> None:
    schema = tenant.schema_name
    if schema in (get_public_schema_name(), settings.PEEPERS_TEMPLATE_SCHEMA):
        raise StoreNotClosed(f"{schema} is never dropped.")
    use_public_schema()
    with transaction.atomic():
        # The row lock orders us after a concurrent reopening: a store reopened is kept.
        locked = Tenant.objects.select_for_update().get(pk=tenant.pk)
        if locked.status != TenantStatus.CLOSED:
            raise StoreNotClosed(f"{schema} was reopened; its schema is kept.")
        existed = schema_exists(schema)
        with connection.cursor() as cursor:
            cursor.execute(f"DROP SCHEMA IF EXISTS {quote_schema_name(schema)} CASCADE")
        now = timezone.now()
        StoreOffboarding.objects.filter(pk=offboarding.pk).update(schema_dropped_at=now)
        audit_record(
            action=AuditAction.DATA_ERASURE,
            actor=_actor(by),
            tenant=locked,
            obj=ObjectRef(type="schema", id=schema[:64]),
            details={"reason": "closed store past its retention period", "existed": existed},
        )
    use_public_schema()
    offboarding.refresh_from_db()


def offboarding_export_from_token(*, token: str) -> Path:
    """The final export a token grants on the public host; ``OffboardingLinkInvalid`` else.

    Only files of an offboarding (under ``MEDIA_ROOT/offboarding/``) are served here: a
    store's ordinary export links keep working on the store's host only.
    """
    max_age = timedelta(days=settings.COMPLIANCE_EXPORT_LINK_DAYS)
    try:
        payload = signing.loads(token, salt=LINK_SALT, max_age=max_age)
    except signing.SignatureExpired:
        raise OffboardingLinkInvalid(
            gettext("This download link has expired; ask support.")
        ) from None
    except signing.BadSignature:
        raise OffboardingLinkInvalid(gettext("This download link is not valid.")) from None
    path_text = str(payload.get("path", ""))
    known = StoreOffboarding.objects.filter(
        tenant_id=payload.get("store"), request_id=payload.get("request"), export_path=path_text
    ).exists()
    root = (Path(settings.MEDIA_ROOT) / OFFBOARDING_DIR).resolve()
    path = (Path(settings.MEDIA_ROOT) / path_text).resolve()
    if not known or not path_text or root not in path.parents or not path.is_file():
        raise OffboardingLinkInvalid(gettext("This export is no longer available; ask support."))
    return path
