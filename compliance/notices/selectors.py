"""Reading notices and purposes: the current published notice (also the legal pages' provider,
``PEEPERS_LEGAL_NOTICE_PROVIDER``) and which notice versions still carry a purpose's consent."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.safestring import SafeString

from compliance.notices.errors import PurposeUnknown
from compliance.notices.markdown import markdown_html
from compliance.notices.models import Notice, NoticeKind, Purpose


@dataclass(frozen=True)
class PublishedNotice:
    """A notice as pages show it (tenants' legal pages read these attributes, nothing else)."""

    kind: str
    version: str
    title: str
    body_html: SafeString
    effective_at: datetime


def notice_current_row(*, kind: str, now: datetime | None = None) -> Notice | None:
    """The published notice of ``kind`` in force at ``now``: the latest effective one."""
    return (
        Notice.objects.filter(kind=kind, published=True, effective_at__lte=now or timezone.now())
        .order_by("-effective_at", "-published_at", "-id")
        .first()
    )


def notice_current(*, kind: str) -> PublishedNotice | None:
    """The provider behind ``/legal/terms/`` and ``/legal/privacy/``; None: no notice in the
    database yet, and the pages fall back to their templates."""
    notice = notice_current_row(kind=kind)
    if notice is None:
        return None
    return PublishedNotice(
        kind=notice.kind,
        version=notice.version,
        title=notice.title,
        body_html=markdown_html(notice.body),
        effective_at=notice.effective_at,
    )


def privacy_notice_version() -> str:
    """The privacy notice version consent is given under now (the setting until one is in the
    database)."""
    notice = notice_current_row(kind=NoticeKind.PRIVACY)
    return notice.version if notice is not None else settings.PEEPERS_PRIVACY_NOTICE_VERSION


def purpose_list(*, needs_consent: bool | None = None) -> QuerySet[Purpose]:
    """Active purposes in display order, optionally only those that do (not) need consent."""
    purposes = Purpose.objects.filter(active=True)
    if needs_consent is not None:
        purposes = purposes.filter(needs_consent=needs_consent)
    return purposes.order_by("position", "code")


def purpose_get(*, code: str) -> Purpose:
    purpose = Purpose.objects.filter(code=code, active=True).first()
    if purpose is None:
        raise PurposeUnknown(f"There is no purpose “{code}”.")
    return purpose


def consent_versions(*, purpose: Purpose, now: datetime | None = None) -> frozenset[str] | None:
    """Privacy notice versions under which a decision about ``purpose`` still counts.

    None: any version (no published notice in force has changed the purpose). Otherwise the
    version that last changed it and every published version from then on.
    """
    now = now or timezone.now()
    published = Notice.objects.filter(kind=NoticeKind.PRIVACY, published=True)
    floor = (
        published.filter(effective_at__lte=now, reconsent_purposes=purpose)
        .order_by("-effective_at", "-id")
        .first()
    )
    if floor is None:
        return None
    return frozenset(
        published.filter(effective_at__gte=floor.effective_at).values_list("version", flat=True)
    )
