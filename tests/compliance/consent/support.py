"""Helpers for consent tests: publish a privacy notice that may change purposes."""

from datetime import timedelta

from django.utils import timezone

from compliance.notices.models import Notice, NoticeKind, Purpose
from compliance.notices.services import notice_publish


def publish_privacy(version, *, changes=(), days_ago=0):
    notice = Notice.objects.create(
        kind=NoticeKind.PRIVACY,
        version=version,
        title=f"Aviso de privacidade {version}",
        body=f"Versão {version}.",
        effective_at=timezone.now() - timedelta(days=days_ago, seconds=1),
    )
    notice.reconsent_purposes.set(Purpose.objects.filter(code__in=changes))
    return notice_publish(notice=notice)
