"""Offboarding a closed store: the owner's final export, an e-mail saying where it is, every
store user erased through the personal-data registry, what the features registered undone
(``compliance.closure``: ML access revoked, the Stripe customer redacted), the store's export
files deleted, then its schema dropped. The tenant row stays (billing and invoices point at it).

The export, the e-mail and the drop are recorded in ``StoreOffboarding`` in the transaction
that does them, so a run that dies halfway resumes at the first step not done, and nothing is
dropped before the export exists and the owner has been told. The steps between are safe to
repeat (the erasure resumes per model through its ``ErasureStep`` records). The store's host
is gone with its schema, so the export is moved under ``MEDIA_ROOT/offboarding/`` and served
on the public host (``compliance.retention.urls``) with the same signed token as any export
link.
"""

from __future__ import annotations

import json
import logging
import shutil
import zipfile
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.core import signing
from django.core.mail import send_mail
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext
from django_tenants.utils import (
    get_public_schema_name,
    quote_schema_name,
    schema_exists,
    tenant_context,
)

from compliance.audit.models import AuditAction
from compliance.audit.services import Actor, ObjectRef, audit_record
from compliance.closure import closure_steps, store_record_sets
from compliance.dsr.erasure import subject_erase
from compliance.dsr.exports import LINK_SALT, export_link_token, subject_export
from compliance.dsr.requests import dsr_open
from compliance.dsr.scrub import is_erased_email
from compliance.models import (
    OPEN_STATUSES,
    DataSubjectRequest,
    IdentityState,
    RequestKind,
    RequestScope,
    RequestStatus,
)
from compliance.retention.errors import OffboardingLinkInvalid, StoreNotClosed, StoreUnknown
from compliance.retention.models import StoreOffboarding
from tenants.context import use_public_schema
from tenants.models import Tenant, TenantStatus
from tenants.services import public_url
from users.models import User

logger = logging.getLogger(__name__)

OFFBOARDING_DIR = "offboarding"
EXPORTS_DIR = "exports"
CHANNEL = "offboarding"
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
    _store_users_erase(tenant)
    _closure_steps_run(offboarding, tenant, by=by)
    _store_exports_delete(tenant)
    _schema_drop(offboarding, tenant, by=by)
    logger.info("store %s offboarded by %s", tenant.schema_name, by)
    return offboarding


def _store_records_write(path: Path, tenant: Tenant) -> dict[str, int]:
    """Add the store's own records (``compliance.closure.store_records``) to the export."""
    counts: dict[str, int] = {}
    with zipfile.ZipFile(path, "a", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, rows in store_record_sets().items():
            count = 0
            with tenant_context(tenant), archive.open(f"records/{name}.json", "w") as raw:
                raw.write(b"[")
                for row in rows(tenant):
                    text = json.dumps(row, cls=DjangoJSONEncoder, ensure_ascii=False)
                    raw.write((b",\n" if count else b"\n") + text.encode())
                    count += 1
                raw.write(b"\n]\n")
            counts[name] = count
        archive.writestr("records/manifest.json", json.dumps({"records": counts}, indent=2))
    return counts


def _final_export(offboarding: StoreOffboarding, tenant: Tenant) -> None:
    """The owner's personal data (a portability export) plus the store's records: the fiscal
    order records the seller must keep (CTN Art. 195) go with them."""
    opened = dsr_open(
        tenant=tenant,
        scope=RequestScope.SELLER_USER,
        kind=RequestKind.PORTABILITY,
        channel=CHANNEL,
        subject_email=tenant.owner_email,
    )
    done = subject_export(request=opened.request)
    records = _store_records_write(done.path, tenant)
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
            details={
                "request": opened.request.pk,
                "reason": "offboarding final export",
                "records": records,
            },
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


def _store_users_erase(tenant: Tenant) -> None:
    """An erasure request per store user (the owner included), verified and completed: the
    registry erases or anonymizes what would outlive the schema (the store's row, signup
    evidence, billing and ML records in the public schema). Requests already opened by an
    earlier run resume where they stopped."""
    emails = {str(tenant.owner_email).lower()}
    if schema_exists(tenant.schema_name):
        with tenant_context(tenant):
            emails |= {e.lower() for e in User.objects.values_list("email", flat=True)}
    for email in sorted(e for e in emails if e and not is_erased_email(e)):
        dsr_open(
            tenant=tenant,
            scope=RequestScope.SELLER_USER,
            kind=RequestKind.ERASURE,
            channel=CHANNEL,
            subject_email=email,
        )
    pending = DataSubjectRequest.objects.filter(
        tenant=tenant, kind=RequestKind.ERASURE, channel=CHANNEL, status__in=OPEN_STATUSES
    )
    for request in pending.order_by("pk"):
        # The store's own records name them: identity is not in question.
        DataSubjectRequest.objects.filter(pk=request.pk).update(identity=IdentityState.VERIFIED)
        request.refresh_from_db()
        changed = subject_erase(request=request)
        DataSubjectRequest.objects.filter(pk=request.pk).update(
            status=RequestStatus.COMPLETED,
            completed_at=timezone.now(),
            handled_by=CHANNEL,
            outcome=f"erased when the store was offboarded: {changed}",
        )
    use_public_schema()


def _closure_steps_run(offboarding: StoreOffboarding, tenant: Tenant, *, by: str) -> None:
    """Each feature's closure step (``compliance.closure``), recorded in the audit log."""
    for name, step in closure_steps().items():
        done = dict(step(tenant, by))
        use_public_schema()
        audit_record(
            action=AuditAction.DATA_ERASURE,
            actor=_actor(by),
            tenant=tenant,
            obj=ObjectRef(type="retention.storeoffboarding", id=str(offboarding.pk)),
            details={"reason": "store offboarded", "step": name, "done": done},
        )


def _store_exports_delete(tenant: Tenant) -> None:
    """The store's data-subject exports go with its schema (the final export is elsewhere)."""
    root = Path(settings.MEDIA_ROOT)
    folder = root / EXPORTS_DIR / tenant.schema_name
    prefix = f"{EXPORTS_DIR}/{tenant.schema_name}/"
    DataSubjectRequest.objects.filter(tenant=tenant, export_path__startswith=prefix).update(
        export_path=""
    )
    if folder.is_dir():
        shutil.rmtree(folder)


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
