"""Settings as a fresh process reads them under a given environment.

Every case is read by one child process that imports ``peepers.settings`` anew for each
environment (the module reads the environment only at import), so many cases cost one start-up.
"""

from __future__ import annotations

import base64
import json
import secrets
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from tests.support.processes import BASE_DIR, child_environment

# Everything production needs, each value acceptable: clean under `check --deploy`.
PRODUCTION = {
    "DJANGO_ENV": "production",
    "SECRET_KEY": secrets.token_urlsafe(50),
    "FIELD_ENCRYPTION_KEYS": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
    "ALLOWED_HOSTS": "peepers.example.com,.peepers.example.com",
    "PEEPERS_BASE_DOMAIN": "peepers.example.com",
    "STRIPE_SECRET_KEY": "sk_live_" + secrets.token_urlsafe(24),
    "STRIPE_WEBHOOK_SECRET": "whsec_" + secrets.token_urlsafe(24),
    "STAFF_ALERT_EMAILS": "oncall@peepers.example.com",
    "ML_WEBHOOK_ALLOWED_IPS": "54.88.218.97,18.215.140.160",
    "NOTIFY_URLS": "p0=json://pager.example.com/",
}

# Runs in the child: reads {case: {"env": {...}, "names": [...]}} on stdin and prints, per case,
# the settings' values (Django's defaults included) or the error that refused them.
_READ_EACH = """
import json, os, sys
from django.conf import Settings

cases = json.load(sys.stdin)
outcomes = {}
for case, asked in cases.items():
    os.environ.clear()
    os.environ.update(asked["env"])
    sys.modules.pop("peepers.settings", None)
    try:
        read = Settings("peepers.settings")
    except Exception as exc:
        outcomes[case] = {"error": type(exc).__name__, "message": str(exc)}
    else:
        outcomes[case] = {"values": {name: getattr(read, name, None) for name in asked["names"]}}
print(json.dumps(outcomes, default=repr))
"""


@dataclass(frozen=True)
class SettingsRead:
    """What importing the settings under one environment gave: values, or the error."""

    values: dict[str, Any] | None
    error: str | None = None
    message: str = ""


def settings_read_each(
    cases: Mapping[str, Mapping[str, str]], names: Sequence[str]
) -> dict[str, SettingsRead]:
    """The settings ``names`` under each case's environment variables (over the tests' child
    environment), read by one child process."""
    asked = {
        case: {
            "env": child_environment(DJANGO_SETTINGS_MODULE="peepers.settings", **env),
            "names": list(names),
        }
        for case, env in cases.items()
    }
    result = subprocess.run(
        [sys.executable, "-c", _READ_EACH],
        cwd=BASE_DIR,
        input=json.dumps(asked),
        capture_output=True,
        text=True,
        env=child_environment(),
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    outcomes = json.loads(result.stdout.strip().splitlines()[-1])
    return {
        case: SettingsRead(
            values=outcome.get("values"),
            error=outcome.get("error"),
            message=outcome.get("message", ""),
        )
        for case, outcome in outcomes.items()
    }


def manage(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """``manage.py *args`` in a child process under ``env`` (over the tests' child environment)."""
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        capture_output=True,
        text=True,
        env=child_environment(**env),
        timeout=120,
    )


@cache
def deploy_check() -> subprocess.CompletedProcess[str]:
    """``manage.py check --deploy --fail-level WARNING`` under ``PRODUCTION``, run once per
    session (several test modules read its report)."""
    return manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)
