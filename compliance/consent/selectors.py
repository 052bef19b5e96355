"""Reading the ledger: the decision in force per purpose, and what needs a fresh decision.

A decision counts while it was made under a notice version that still carries the purpose
(``compliance.notices.selectors.consent_versions``): a new notice that changes a purpose makes
earlier grants lapse, so "a new notice version asks for fresh consent where the purpose needs it".
"""

from __future__ import annotations

from dataclasses import dataclass

from compliance.consent.models import ConsentAction, ConsentRecord
from compliance.notices.errors import PurposeUnknown
from compliance.notices.models import Purpose
from compliance.notices.selectors import consent_versions, purpose_get, purpose_list
from users.models import User


@dataclass(frozen=True)
class ConsentState:
    """One purpose as the privacy center shows it to one user."""

    purpose: Purpose
    granted: bool  # a current consent (always False for purposes that do not need one)
    needs_decision: bool  # consent-based, and no decision under a version that still counts
    latest: ConsentRecord | None  # the user's last decision, whether it still counts or not


def _latest(*, user: User, codes: list[str]) -> dict[str, ConsentRecord]:
    """The last ledger row per purpose (PostgreSQL DISTINCT ON: one index scan per purpose)."""
    rows = (
        ConsentRecord.objects.filter(user=user, purpose_code__in=codes)
        .order_by("purpose_code", "-id")
        .distinct("purpose_code")
    )
    return {row.purpose_code: row for row in rows}


def _counts(record: ConsentRecord | None, purpose: Purpose) -> bool:
    if record is None:
        return False
    versions = consent_versions(purpose=purpose)
    return versions is None or record.notice_version in versions


def consent_current(*, user: User, purpose: str) -> bool:
    """Whether ``user`` has a consent in force for the purpose coded ``purpose``.

    The latest row wins; a grant under a notice version older than the one that last changed
    the purpose does not count. Unknown or retired purposes, and purposes that do not rest on
    consent, answer False: nothing may run on a consent that cannot be shown.
    """
    try:
        found = purpose_get(code=purpose)
    except PurposeUnknown:
        return False
    if not found.needs_consent:
        return False
    record = _latest(user=user, codes=[found.code]).get(found.code)
    return record is not None and record.action == ConsentAction.GRANTED and _counts(record, found)


def consent_states(*, user: User) -> list[ConsentState]:
    """Every active purpose with the user's decision, in display order."""
    purposes = list(purpose_list())
    latest = _latest(user=user, codes=[p.code for p in purposes if p.needs_consent])
    states = []
    for purpose in purposes:
        record = latest.get(purpose.code)
        counts = purpose.needs_consent and _counts(record, purpose)
        states.append(
            ConsentState(
                purpose=purpose,
                granted=counts and record is not None and record.action == ConsentAction.GRANTED,
                needs_decision=purpose.needs_consent and not counts,
                latest=record,
            )
        )
    return states


def consent_required(*, user: User) -> list[Purpose]:
    """Consent-based purposes on which ``user`` has no decision that still counts: never asked,
    or asked under a notice version that has since changed the purpose."""
    return [state.purpose for state in consent_states(user=user) if state.needs_decision]


def consent_history(*, user: User, limit: int = 50) -> list[ConsentRecord]:
    """The user's own ledger, newest first (shown in the privacy center)."""
    return list(ConsentRecord.objects.filter(user=user).order_by("-id")[:limit])
