"""Production refuses unsafe settings, and is clean under `check --deploy` when configured."""

import pytest

from tests.support.settings_env import PRODUCTION, deploy_check, manage, settings_read_each

# Everything production needs except the two variables under test.
CONFIGURED = {
    name: value
    for name, value in PRODUCTION.items()
    if name not in {"ML_WEBHOOK_ALLOWED_IPS", "NOTIFY_URLS", "PEEPERS_BASE_DOMAIN"}
}
CONFIGURED["ALLOWED_HOSTS"] = "peepers.example.com"

CASES = {
    "malformed encryption key": {
        **PRODUCTION,
        "FIELD_ENCRYPTION_KEYS": "too-short",
    },
    "channels missing": {**CONFIGURED, "ML_WEBHOOK_ALLOWED_IPS": "54.88.218.97"},
    "addresses missing": {**CONFIGURED, "NOTIFY_URLS": "json://pager.example.com/"},
    "both off": {**CONFIGURED, "ML_WEBHOOK_ALLOWED_IPS": "off", "NOTIFY_URLS": "OFF"},
    "both listed": {
        **CONFIGURED,
        "ML_WEBHOOK_ALLOWED_IPS": " 54.88.218.97, 35.245.0.0/16 ",
        "NOTIFY_URLS": "p0=json://pager.example.com/",
    },
    "off beside a channel": {
        "DJANGO_ENV": "development",
        "NOTIFY_URLS": "off,json://pager.example.com/",
    },
}


@pytest.fixture(scope="module")
def read():
    """Each case's settings, read by one child process."""
    return settings_read_each(CASES, ["ML_WEBHOOK_ALLOWED_IPS", "NOTIFY_URLS"])


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


def test_production_rejects_a_malformed_encryption_key(read):
    refused = read["malformed encryption key"]

    assert refused.error == "ImproperlyConfigured"
    assert "refusing to start with DJANGO_ENV=production" in refused.message
    assert "not 32 url-safe base64 bytes" in refused.message


def test_check_deploy_is_clean_with_production_settings():
    result = deploy_check()

    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_an_unset_webhook_address_list_or_incident_channel_list(read):
    missing_channels = read["channels missing"]
    missing_addresses = read["addresses missing"]

    assert missing_channels.error == "ImproperlyConfigured"
    assert "refusing to start with DJANGO_ENV=production" in missing_channels.message
    assert "NOTIFY_URLS is unset" in missing_channels.message
    assert "ML_WEBHOOK_ALLOWED_IPS" not in missing_channels.message
    assert missing_addresses.error == "ImproperlyConfigured"
    assert "ML_WEBHOOK_ALLOWED_IPS is unset" in missing_addresses.message
    assert "NOTIFY_URLS" not in missing_addresses.message


def test_off_is_the_explicit_empty_that_production_accepts(read):
    assert read["both off"].values == {"ML_WEBHOOK_ALLOWED_IPS": [], "NOTIFY_URLS": []}


def test_listed_values_are_read_as_lists(read):
    assert read["both listed"].values == {
        "ML_WEBHOOK_ALLOWED_IPS": ["54.88.218.97", "35.245.0.0/16"],
        "NOTIFY_URLS": ["p0=json://pager.example.com/"],
    }


def test_off_beside_other_values_is_refused(read):
    refused = read["off beside a channel"]

    assert refused.error == "ImproperlyConfigured"
    assert "NOTIFY_URLS: `off` stands alone, not beside other values" in refused.message
