"""Changing notices: publishing a version (then read-only) and drafting the next one from it."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone

from compliance.notices.errors import NoticeError, NoticePublished
from compliance.notices.models import Notice


def notice_publish(*, notice: Notice) -> Notice:
    """Publish ``notice``; from then on it is the record and cannot change.

    A notice whose effective date is in the future is published now and applies from that date.
    """
    with transaction.atomic():
        locked = Notice.objects.select_for_update().get(pk=notice.pk)
        if locked.published:
            raise NoticePublished(f"{locked} is already published.")
        if not locked.body.strip():
            raise NoticeError(f"{locked} has no text; write it before publishing.")
        # QuerySet.update: Notice.save() refuses any change to a published row, this included.
        Notice.objects.filter(pk=locked.pk).update(published=True, published_at=timezone.now())
    notice.refresh_from_db()
    return notice


def notice_draft_from(*, notice: Notice, version: str) -> Notice:
    """A new unpublished version with ``notice``'s text, to edit and publish (a new row)."""
    try:
        with transaction.atomic():
            return Notice.objects.create(
                kind=notice.kind,
                version=version.strip(),
                title=notice.title,
                body=notice.body,
                effective_at=timezone.now(),
            )
    except IntegrityError:  # the (kind, version) constraint
        raise NoticeError(f"Version {version} of this notice already exists.") from None
