"""``security_audit``: known vulnerabilities in the locked dependencies, Django's deployment
checks, and secrets older than their rotation period; and the quarterly rotation reminder.

A check that cannot be made is reported ``unknown`` with the reason, never as a pass: the
dependency scan (``dependencies.py``) needs pip-audit's vulnerability service, and a scan that
could not ask it says "unknown: could not reach …".

Rotations are read from the audit log (``AuditAction.KEY_ROTATION`` with ``details["keys"]``
naming the secret): ``rotate_ml_keys`` records ``FIELD_ENCRYPTION_KEYS``; the other secrets are
rotated outside Peepers and recorded with ``manage.py record_key_rotation --key NAME``.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core import checks
from django.utils import timezone

from compliance.audit.models import AuditAction, AuditEvent
from compliance.audit.services import Actor, audit_record
from operations.incidents.services import incident_resolve_by_key
from operations.maintenance.alerting import maintenance_alert
from operations.maintenance.dependencies import dependency_vulnerabilities
from operations.maintenance.errors import InvalidArgument

ROTATION_PERIOD = timedelta(days=90)
# The secrets whose age is watched, with what they protect.
SECRETS = {
    "FIELD_ENCRYPTION_KEYS": "encrypts ML tokens at rest and backup archives",
    "ML_CLIENT_SECRET": "Mercado Livre application secret",
    "STRIPE_SECRET_KEY": "Stripe API key",
    "STRIPE_WEBHOOK_SECRET": "Stripe webhook signing secret",
    "SECRET_KEY": "Django signing key (sessions, OAuth state)",
    "METRICS_TOKEN": "Prometheus bearer token",
}
KEY_ROTATION_INCIDENT = "key-rotation-due"


# -- Django's deployment checks ----------------------------------------------------------------


def deploy_check_findings() -> list[dict[str, str]]:
    """What ``manage.py check --deploy`` reports (warnings and worse) for the settings this
    process runs with: the production settings on a production worker."""
    found = checks.run_checks(include_deployment_checks=True)
    return [
        {"id": str(m.id), "level": _level(m.level), "message": str(m.msg)}
        for m in found
        if m.level >= checks.WARNING and not m.is_silenced()
    ]


def _level(level: int) -> str:
    names = {checks.CRITICAL: "critical", checks.ERROR: "error", checks.WARNING: "warning"}
    return names.get(level, str(level))


# -- secrets' age ------------------------------------------------------------------------------


@dataclass(frozen=True)
class KeyAge:
    name: str
    purpose: str
    last_rotated: datetime | None
    due: bool

    def as_dict(self, *, now: datetime) -> dict[str, Any]:
        return {
            "name": self.name,
            "purpose": self.purpose,
            "last_rotated": self.last_rotated.isoformat() if self.last_rotated else None,
            "age_days": (now - self.last_rotated).days if self.last_rotated else None,
            "due": self.due,
        }


def key_ages(*, now: datetime) -> list[KeyAge]:
    """Each configured secret and when the audit log last saw it rotated; due when that is
    ``ROTATION_PERIOD`` ago or more, or never recorded."""
    ages = []
    for name, purpose in SECRETS.items():
        if not getattr(settings, name, None):
            continue
        last = (
            AuditEvent.objects.filter(action=AuditAction.KEY_ROTATION, details__keys=name)
            .order_by("-occurred_at")
            .values_list("occurred_at", flat=True)
            .first()
        )
        due = last is None or now - last >= ROTATION_PERIOD
        ages.append(KeyAge(name, purpose, last, due))
    return ages


def key_rotation_record(*, key: str, by: str) -> AuditEvent:
    """Record that ``key`` was rotated (outside Peepers) so its age restarts."""
    if key not in SECRETS:
        raise InvalidArgument(f"unknown secret {key!r}; one of {', '.join(SECRETS)}")
    actor = Actor.staff(email=by) if "@" in by else Actor.system(by)
    return audit_record(action=AuditAction.KEY_ROTATION, actor=actor, details={"keys": key})


def key_rotation_remind(*, now: datetime | None = None) -> dict[str, Any]:
    """Quarterly: open a P3 incident naming the secrets due for rotation (resolve it when none
    is)."""
    now = now or timezone.now()
    ages = key_ages(now=now)
    due = [age.name for age in ages if age.due]
    if due:
        maintenance_alert(
            key=KEY_ROTATION_INCIDENT,
            title=f"Rotate {len(due)} secret(s): {', '.join(due)}",
            priority="P3",
            details={
                "due": due,
                "rotation_period_days": ROTATION_PERIOD.days,
                "how": "docs/operations-maintenance.md#key-rotation",
            },
            now=now,
        )
    else:
        incident_resolve_by_key(key=KEY_ROTATION_INCIDENT, now=now)
    return {"due": due, "keys": [age.as_dict(now=now) for age in ages]}


# -- the audit ---------------------------------------------------------------------------------


CHECKS = ("dependencies", "deploy", "keys")


def security_audit(
    *,
    now: datetime | None = None,
    pip_audit_env: Mapping[str, str] | None = None,
    service: str = "pypi",
    osv_url: str | None = None,
    lock: Path | None = None,
    checks_run: Collection[str] = CHECKS,
) -> dict[str, Any]:
    """The checks in ``checks_run`` (all three by default); ``status`` pass only when each
    passed, fail when any found a problem, unknown when none failed but one could not be made.
    ``problems`` says what, in words; a check not run is listed in ``not_run``, never passed."""
    unknown_checks = set(checks_run) - set(CHECKS)
    if unknown_checks or not checks_run:
        raise InvalidArgument(f"checks must be among {', '.join(CHECKS)}")
    now = now or timezone.now()
    report: dict[str, Any] = {"not_run": [name for name in CHECKS if name not in checks_run]}
    problems = []
    failed = unknown = False
    if "dependencies" in checks_run:
        vulnerabilities = dependency_vulnerabilities(
            env=pip_audit_env, service=service, osv_url=osv_url, lock=lock
        )
        report["vulnerabilities"] = vulnerabilities
        if vulnerabilities["status"] == "fail":
            failed = True
            problems.append(f"{len(vulnerabilities['vulnerable'])} vulnerable package(s)")
        elif vulnerabilities["status"] == "unknown":
            unknown = True
            problems.append(f"vulnerabilities unknown: {vulnerabilities['reason']}")
    if "deploy" in checks_run:
        deploy = deploy_check_findings()
        report["deploy_checks"] = deploy
        if deploy:
            failed = True
            problems.append(f"{len(deploy)} deployment check finding(s)")
    if "keys" in checks_run:
        keys = key_ages(now=now)
        report["keys"] = [key.as_dict(now=now) for key in keys]
        due = [key.name for key in keys if key.due]
        if due:
            failed = True
            problems.append(f"secrets due for rotation: {', '.join(due)}")
    status = "fail" if failed else ("unknown" if unknown else "pass")
    return {"status": status, "problems": problems, **report}
