"""The monthly access review (runbook "Access Control"): every staff account with its last
login, superuser flag, groups and permissions; staff inactive too long are disabled; the review
and each disabling are recorded in the audit log, in the same transaction as the changes.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone
from django_tenants.utils import schema_context

from compliance.audit.models import AuditAction
from compliance.audit.services import Actor, audit_record
from users.models import User


@dataclass(frozen=True)
class StaffAccess:
    id: int
    email: str
    is_active: bool
    is_superuser: bool
    last_login: datetime | None
    date_joined: datetime
    # Days since the last login, or since the account was made when it never logged in.
    inactive_days: int
    groups: list[str]
    permissions: list[str]
    disabled: bool

    def as_dict(self) -> dict[str, Any]:
        document = asdict(self)
        document["last_login"] = self.last_login.isoformat() if self.last_login else None
        document["date_joined"] = self.date_joined.isoformat()
        return document


@dataclass(frozen=True)
class AccessReview:
    reviewed_at: datetime
    inactive_days: int
    dry_run: bool
    staff: list[StaffAccess]

    @property
    def disabled(self) -> list[StaffAccess]:
        return [entry for entry in self.staff if entry.disabled]

    def as_dict(self) -> dict[str, Any]:
        return {
            "reviewed_at": self.reviewed_at.isoformat(),
            "inactive_days": self.inactive_days,
            "dry_run": self.dry_run,
            "staff": [entry.as_dict() for entry in self.staff],
            "disabled": [entry.email for entry in self.disabled],
        }


def _permissions(user: User) -> list[str]:
    if user.is_superuser:
        return ["* (superuser: every permission)"]
    return sorted(user.get_all_permissions())


def access_review_run(
    *, inactive_days: int, dry_run: bool, actor: Actor, now: datetime | None = None
) -> AccessReview:
    """Review the staff accounts of the public schema; disable those inactive over
    ``inactive_days`` unless ``dry_run`` (which writes nothing, the audit log included).

    Safe to run twice or concurrently: an account is disabled by a conditional UPDATE, so a
    second run finds it inactive already and records nothing more for it.
    """
    if inactive_days < 1:
        raise ValueError("inactive_days must be at least 1")
    now = now or timezone.now()
    cutoff = now - timedelta(days=inactive_days)
    with schema_context("public"), transaction.atomic():
        staff = list(
            User.objects.filter(is_staff=True).prefetch_related("groups").order_by("email")
        )
        entries = []
        for user in staff:
            last_activity = user.last_login or user.date_joined
            disable = user.is_active and last_activity < cutoff
            disabled = (
                disable
                and not dry_run
                # A bare UPDATE: the audit event below is the record, not a permission-change one.
                and User.objects.filter(pk=user.pk, is_active=True).update(is_active=False) == 1
            )
            entries.append(
                StaffAccess(
                    id=user.pk,
                    email=user.email,
                    is_active=user.is_active and not disabled,
                    is_superuser=user.is_superuser,
                    last_login=user.last_login,
                    date_joined=user.date_joined,
                    inactive_days=(now - last_activity).days,
                    groups=sorted(group.name for group in user.groups.all()),
                    permissions=_permissions(user),
                    disabled=disabled or (disable and dry_run),
                )
            )
            if disabled:
                audit_record(
                    action=AuditAction.STAFF_DISABLED,
                    actor=actor,
                    obj=user,
                    details={
                        "user": user.email,
                        "last_login": user.last_login,
                        "inactive_days": (now - last_activity).days,
                        "threshold_days": inactive_days,
                    },
                )
        review = AccessReview(
            reviewed_at=now, inactive_days=inactive_days, dry_run=dry_run, staff=entries
        )
        if not dry_run:
            audit_record(action=AuditAction.ACCESS_REVIEW, actor=actor, details=review.as_dict())
    return review
