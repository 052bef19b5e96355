"""``security_audit``: known vulnerabilities in the locked dependencies, Django's deployment
checks, and secrets older than their rotation period; and the quarterly rotation reminder.

A check that cannot be made is reported ``unknown`` with the reason, never as a pass: pip-audit
needs its vulnerability service (PyPI's JSON API by default), and an audit that could not ask
it says "unknown: vulnerability service unreachable".

Rotations are read from the audit log (``AuditAction.KEY_ROTATION`` with ``details["keys"]``
naming the secret): ``rotate_ml_keys`` records ``FIELD_ENCRYPTION_KEYS``; the other secrets are
rotated outside Peepers and recorded with ``manage.py record_key_rotation --key NAME``.
"""

from __future__ import annotations

import importlib.util
import json
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
from collections.abc import Mapping
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
PIP_AUDIT_TIMEOUT_SECONDS = 600
_UNREACHABLE = re.compile(
    r"connection|timed? ?out|max retries|name or service|temporary failure|proxy|"
    r"network is unreachable|service ?error|ssl",
    re.IGNORECASE,
)


# -- dependencies ------------------------------------------------------------------------------


def lock_file() -> Path | None:
    """The dependency lock: ``uv.lock``, else a ``requirements*.txt`` beside manage.py."""
    base = Path(settings.BASE_DIR)
    if (base / "uv.lock").exists():
        return base / "uv.lock"
    found = sorted(base.glob("requirements*.txt"))
    return found[0] if found else None


def lock_requirements(lock: Path) -> list[str]:
    """``name==version`` of every registry package the lock pins (the project itself is not
    one); a requirements file is taken as it is."""
    if lock.suffix == ".txt":
        return [line.strip() for line in lock.read_text().splitlines() if line.strip()]
    data = tomllib.loads(lock.read_text())
    pins = set()
    for package in data.get("package", []):
        if "registry" in package.get("source", {}):
            pins.add(f"{package['name']}=={package['version']}")
    return sorted(pins)


def pip_audit_program() -> list[str] | None:
    """How to run pip-audit here: the module in this interpreter, else a program on PATH."""
    if importlib.util.find_spec("pip_audit") is not None:
        return [sys.executable, "-m", "pip_audit"]
    found = shutil.which("pip-audit")
    return [found] if found else None


def dependency_vulnerabilities(*, env: Mapping[str, str] | None = None) -> dict[str, Any]:
    """pip-audit over the lock's pins: ``status`` pass, fail (vulnerable pins listed) or
    unknown (``reason``: no lock, no pip-audit, service unreachable, pip-audit failed)."""
    lock = lock_file()
    if lock is None:
        return {"status": "unknown", "reason": "no uv.lock or requirements*.txt found"}
    program = pip_audit_program()
    if program is None:
        return {"status": "unknown", "reason": "pip-audit is not installed", "lock": str(lock)}
    pins = lock_requirements(lock)
    with tempfile.TemporaryDirectory() as scratch:
        requirements = Path(scratch) / "requirements.txt"
        requirements.write_text("\n".join(pins) + "\n")
        args = [
            *program,
            "--requirement",
            str(requirements),
            "--no-deps",
            "--disable-pip",
            "--format",
            "json",
            "--progress-spinner",
            "off",
            "--cache-dir",
            str(Path(scratch) / "cache"),
        ]
        try:
            # Fixed argv of pip-audit, no shell.
            done = subprocess.run(  # noqa: S603
                args,
                capture_output=True,
                text=True,
                timeout=PIP_AUDIT_TIMEOUT_SECONDS,
                env=dict(env) if env is not None else None,
                check=False,
            )
        except subprocess.TimeoutExpired:
            return {"status": "unknown", "reason": "vulnerability service unreachable (timeout)"}
    try:
        report = json.loads(done.stdout)
    except ValueError:
        tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or [""]
        if _UNREACHABLE.search(done.stderr or ""):
            reason = "vulnerability service unreachable"
        else:
            reason = f"pip-audit failed (exit {done.returncode}): {tail[0][:300]}"
        return {"status": "unknown", "reason": reason, "lock": str(lock), "packages": len(pins)}
    dependencies = report.get("dependencies", []) if isinstance(report, dict) else report
    vulnerable = [
        {
            "name": dep["name"],
            "version": dep.get("version"),
            "vulns": [
                {"id": v.get("id"), "fix_versions": v.get("fix_versions", [])}
                for v in dep.get("vulns", [])
            ],
        }
        for dep in dependencies
        if dep.get("vulns")
    ]
    skipped = [dep["name"] for dep in dependencies if dep.get("skip_reason")]
    result: dict[str, Any] = {"lock": str(lock), "packages": len(pins), "vulnerable": vulnerable}
    if vulnerable:
        result["status"] = "fail"
    elif skipped:
        result["status"] = "unknown"
        reasons = sorted(
            {str(d["skip_reason"]).split(":")[0] for d in dependencies if d.get("skip_reason")}
        )
        shown = ", ".join(skipped[:5]) + (
            f" and {len(skipped) - 5} more" if len(skipped) > 5 else ""
        )
        result["reason"] = (
            f"{len(skipped)} of {len(pins)} packages could not be audited ({shown}): "
            + "; ".join(reasons)[:300]
        )
        result["skipped"] = skipped
    else:
        result["status"] = "pass"
    return result


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


def security_audit(
    *, now: datetime | None = None, pip_audit_env: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """All three checks; ``status`` pass only when each passed, fail when any found a problem,
    unknown when none failed but one could not be made. ``problems`` says what, in words."""
    now = now or timezone.now()
    vulnerabilities = dependency_vulnerabilities(env=pip_audit_env)
    deploy = deploy_check_findings()
    keys = key_ages(now=now)
    problems = []
    if vulnerabilities["status"] == "fail":
        problems.append(f"{len(vulnerabilities['vulnerable'])} vulnerable package(s)")
    elif vulnerabilities["status"] == "unknown":
        problems.append(f"vulnerabilities unknown: {vulnerabilities['reason']}")
    if deploy:
        problems.append(f"{len(deploy)} deployment check finding(s)")
    due = [key.name for key in keys if key.due]
    if due:
        problems.append(f"secrets due for rotation: {', '.join(due)}")
    failed = vulnerabilities["status"] == "fail" or bool(deploy) or bool(due)
    status = "fail" if failed else ("unknown" if vulnerabilities["status"] == "unknown" else "pass")
    return {
        "status": status,
        "problems": problems,
        "vulnerabilities": vulnerabilities,
        "deploy_checks": deploy,
        "keys": [key.as_dict(now=now) for key in keys],
    }
