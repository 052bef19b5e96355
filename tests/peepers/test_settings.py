"""Production refuses unsafe settings, and is clean under `check --deploy` when configured."""

import base64
import secrets
import subprocess
import sys

from tests.support.processes import BASE_DIR, child_environment


def manage(*args, **env):
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        capture_output=True,
        text=True,
        env=child_environment(**env),
        timeout=120,
    )


def test_production_refuses_to_start_with_unsafe_settings():
    result = manage(
        "check",
        DJANGO_ENV="production",
        DEBUG="true",
        SECRET_KEY="",
        FIELD_ENCRYPTION_KEYS="",
        ALLOWED_HOSTS="",
    )

    assert result.returncode != 0
    assert "refusing to start with DJANGO_ENV=production" in result.stderr
    for problem in (
        "DEBUG is on",
        "SECRET_KEY is the development default",
        "ALLOWED_HOSTS is empty",
        "FIELD_ENCRYPTION_KEYS is missing",
    ):
        assert problem in result.stderr


def test_production_rejects_a_malformed_encryption_key():
    result = manage(
        "check",
        DJANGO_ENV="production",
        SECRET_KEY=secrets.token_urlsafe(50),
        FIELD_ENCRYPTION_KEYS="too-short",
        ALLOWED_HOSTS="peepers.example.com",
    )
    assert result.returncode != 0
    assert "not 32 url-safe base64 bytes" in result.stderr


def test_check_deploy_is_clean_with_production_settings():
    result = manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DJANGO_ENV="production",
        SECRET_KEY=secrets.token_urlsafe(50),
        FIELD_ENCRYPTION_KEYS=base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
        ALLOWED_HOSTS="peepers.example.com,.peepers.example.com",
        PEEPERS_BASE_DOMAIN="peepers.example.com",
        STRIPE_SECRET_KEY="sk_live_" + secrets.token_urlsafe(24),
        STRIPE_WEBHOOK_SECRET="whsec_" + secrets.token_urlsafe(24),
        STAFF_ALERT_EMAILS="oncall@peepers.example.com",
        ML_WEBHOOK_ALLOWED_IPS="54.88.218.97,18.215.140.160",
        NOTIFY_URLS="p0=json://pager.example.com/",
    )
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


# Everything production needs except the two variables under test.
CONFIGURED = {
    "DJANGO_ENV": "production",
    "SECRET_KEY": secrets.token_urlsafe(50),
    "FIELD_ENCRYPTION_KEYS": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
    "ALLOWED_HOSTS": "peepers.example.com",
    "STRIPE_SECRET_KEY": "sk_live_" + secrets.token_urlsafe(24),
    "STRIPE_WEBHOOK_SECRET": "whsec_" + secrets.token_urlsafe(24),
    "STAFF_ALERT_EMAILS": "oncall@peepers.example.com",
}


def settings_values(*names, **env):
    """The settings ``names`` as production (or ``env``) reads them, one line each."""
    shown = "; ".join(f"print(settings.{name})" for name in names)
    code = f"import django; django.setup(); from django.conf import settings; {shown}"
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=BASE_DIR,
        capture_output=True,
        text=True,
        env=child_environment(**env),
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()


def test_production_refuses_an_unset_webhook_address_list_or_incident_channel_list():
    missing_channels = manage("check", **CONFIGURED, ML_WEBHOOK_ALLOWED_IPS="54.88.218.97")
    missing_addresses = manage("check", **CONFIGURED, NOTIFY_URLS="json://pager.example.com/")

    assert missing_channels.returncode != 0
    assert "refusing to start with DJANGO_ENV=production" in missing_channels.stderr
    assert "NOTIFY_URLS is unset" in missing_channels.stderr
    assert "ML_WEBHOOK_ALLOWED_IPS" not in missing_channels.stderr
    assert missing_addresses.returncode != 0
    assert "ML_WEBHOOK_ALLOWED_IPS is unset" in missing_addresses.stderr
    assert "NOTIFY_URLS" not in missing_addresses.stderr


def test_off_is_the_explicit_empty_that_production_accepts():
    values = settings_values(
        "ML_WEBHOOK_ALLOWED_IPS",
        "NOTIFY_URLS",
        **CONFIGURED,
        ML_WEBHOOK_ALLOWED_IPS="off",
        NOTIFY_URLS="OFF",
    )
    assert values == ["[]", "[]"]


def test_listed_values_are_read_as_lists():
    values = settings_values(
        "ML_WEBHOOK_ALLOWED_IPS",
        "NOTIFY_URLS",
        **CONFIGURED,
        ML_WEBHOOK_ALLOWED_IPS=" 54.88.218.97, 35.245.0.0/16 ",
        NOTIFY_URLS="p0=json://pager.example.com/",
    )
    assert values == ["['54.88.218.97', '35.245.0.0/16']", "['p0=json://pager.example.com/']"]


def test_off_beside_other_values_is_refused():
    result = manage("check", DJANGO_ENV="development", NOTIFY_URLS="off,json://pager.example.com/")

    assert result.returncode != 0
    assert "NOTIFY_URLS: `off` stands alone, not beside other values" in result.stderr
