"""Manual attestations of checklist items no check can see (a privacy-by-design review, PCI
SAQ A): which items take one, recording one (``compliance_attest``, admin), and the verdict.

An item that needs an attestation and has none still valid is unknown, never pass.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils import timezone

from compliance.errors import AttestationInvalid
from compliance.models import ChecklistAttestation


@dataclass(frozen=True)
class Attestable:
    item: str
    asks: str  # what the person attests, in words
    valid_for: timedelta


ATTESTABLE: dict[str, Attestable] = {}


def attestable(item: str, *, asks: str, valid_for: timedelta = timedelta(days=365)) -> None:
    """Declare that ``item`` takes a manual attestation of ``asks``, valid for ``valid_for``."""
    ATTESTABLE[item] = Attestable(item, asks, valid_for)


def attestation_record(
    *, item: str, by: str, statement: str, now: datetime | None = None
) -> ChecklistAttestation:
    """Record that ``by`` (an e-mail) attests ``item`` with ``statement``."""
    spec = ATTESTABLE.get(item)
    if spec is None:
        raise AttestationInvalid(
            f"{item!r} takes no attestation; one of: {', '.join(sorted(ATTESTABLE))}"
        )
    try:
        validate_email(by)
    except ValidationError:
        raise AttestationInvalid(f"the attester must be named by e-mail, not {by!r}") from None
    if not statement.strip():
        raise AttestationInvalid(f"say what you attest: {spec.asks}")
    now = now or timezone.now()
    return ChecklistAttestation.objects.create(
        item=item,
        statement=statement.strip(),
        attested_by=by.strip().lower(),
        attested_at=now,
        valid_until=now + spec.valid_for,
    )


def attestation_current(*, item: str, now: datetime) -> ChecklistAttestation | None:
    return (
        ChecklistAttestation.objects.filter(item=item, attested_at__lte=now, valid_until__gt=now)
        .order_by("-attested_at")
        .first()
    )


def attestation_evidence(*, item: str, now: datetime) -> tuple[bool, str, dict[str, Any]]:
    """Whether ``item`` is attested now, the evidence in words, and the attestation's record."""
    spec = ATTESTABLE[item]
    found = attestation_current(item=item, now=now)
    if found is None:
        return (
            False,
            f"not attested: {spec.asks} (manage.py compliance_attest --item {item!r})",
            {"attestation": None},
        )
    return (
        True,
        f"attested by {found.attested_by} on {found.attested_at:%Y-%m-%d}: {found.statement}",
        {
            "attestation": {
                "attested_by": found.attested_by,
                "attested_at": found.attested_at.isoformat(),
                "valid_until": found.valid_until.isoformat(),
                "statement": found.statement,
            }
        },
    )
