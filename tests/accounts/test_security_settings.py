"""Session and CSRF cookies, HSTS: secure in production (clean under check --deploy), plain HTTP
still working in development."""

import base64
import json
import secrets
import subprocess
import sys

from tests.support.processes import BASE_DIR, child_environment

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
    "NOTIFY_URLS": "off",
}
NAMES = [
    "SESSION_COOKIE_SECURE",
    "SESSION_COOKIE_HTTPONLY",
    "SESSION_COOKIE_SAMESITE",
    "CSRF_COOKIE_SECURE",
    "CSRF_COOKIE_SAMESITE",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_SSL_REDIRECT",
    "AXES_FAILURE_LIMIT",
    "AXES_COOLOFF_TIME",
]


def settings_under(**env):
    code = (
        "import json, django; django.setup(); from django.conf import settings; "
        f"print(json.dumps({{n: getattr(settings, n, None) for n in {NAMES!r}}}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=BASE_DIR,
        capture_output=True,
        text=True,
        env=child_environment(DJANGO_SETTINGS_MODULE="peepers.settings", **env),
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_production_cookies_are_secure_and_hsts_is_on():
    values = settings_under(**PRODUCTION)

    assert values["SESSION_COOKIE_SECURE"] is True
    assert values["CSRF_COOKIE_SECURE"] is True
    assert values["SESSION_COOKIE_HTTPONLY"] is True
    assert values["SESSION_COOKIE_SAMESITE"] == values["CSRF_COOKIE_SAMESITE"] == "Lax"
    assert values["SECURE_HSTS_SECONDS"] >= 31536000
    assert values["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True
    assert values["SECURE_SSL_REDIRECT"] is True
    assert (values["AXES_FAILURE_LIMIT"], values["AXES_COOLOFF_TIME"]) == (5, 0.25)


def test_check_deploy_raises_no_security_or_throttling_warning():
    """Other apps' checks are theirs (tests/peepers/test_settings.py runs the whole check)."""
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=BASE_DIR,
        capture_output=True,
        text=True,
        env=child_environment(**PRODUCTION),
        timeout=120,
    )

    output = result.stdout + result.stderr
    assert "System check identified" in output or "no issues" in output, output
    assert "(security." not in output, output
    assert "(axes." not in output, output
    assert "(otp" not in output, output


def test_development_keeps_plain_http_cookies():
    values = settings_under(DJANGO_ENV="development")

    assert not values["SESSION_COOKIE_SECURE"]
    assert not values["CSRF_COOKIE_SECURE"]
    assert not values["SECURE_SSL_REDIRECT"]
    assert not values["SECURE_HSTS_SECONDS"]
