"""Personal data in the consent ledger: the evidence of each decision (address, browser)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from compliance.consent.models import ConsentRecord
from compliance.registry import Erasure, Subject, SubjectKind, personal_data


def _records(tenant: Any, subject: Subject) -> QuerySet[Any]:
    return ConsentRecord.objects.filter(user__email__iexact=subject.email)


personal_data(
    ConsentRecord,
    fields=["ip_address", "user_agent"],
    subjects=[SubjectKind.SELLER_USER],
    locate=_records,
    erasure=Erasure.KEEP,
    why_kept=(
        "consent must be demonstrable by the controller (LGPD Art. 8 §2): the ledger is the "
        "evidence of what was granted or revoked, when, and from where"
    ),
)
