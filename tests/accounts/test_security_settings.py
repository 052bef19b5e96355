"""Session and CSRF cookies, HSTS: secure in production (clean under check --deploy), plain HTTP
still working in development."""

import pytest

from tests.support.settings_env import PRODUCTION, deploy_check, settings_read_each

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


@pytest.fixture(scope="module")
def read():
    """Production's and development's settings, read by one child process."""
    cases = {"production": PRODUCTION, "development": {"DJANGO_ENV": "development"}}
    outcomes = settings_read_each(cases, NAMES)
    for case, outcome in outcomes.items():
        assert outcome.values is not None, f"{case}: {outcome.error}: {outcome.message}"
    return {case: outcome.values for case, outcome in outcomes.items()}


def test_production_cookies_are_secure_and_hsts_is_on(read):
    values = read["production"]

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
    result = deploy_check()

    output = result.stdout + result.stderr
    assert "System check identified" in output or "no issues" in output, output
    assert "(security." not in output, output
    assert "(axes." not in output, output
    assert "(otp" not in output, output


def test_development_keeps_plain_http_cookies(read):
    values = read["development"]

    assert not values["SESSION_COOKIE_SECURE"]
    assert not values["CSRF_COOKIE_SECURE"]
    assert not values["SECURE_SSL_REDIRECT"]
    assert not values["SECURE_HSTS_SECONDS"]
