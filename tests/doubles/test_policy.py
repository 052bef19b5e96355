"""The bundled doubles refuse production unless it is a loopback run that allows them."""

import pytest

from doubles.policy import double_refusal, is_loopback_host
from tests.peepers.test_settings import CONFIGURED
from tests.support.settings_env import manage

SANDBOX = {"ML_API_BASE": "http://localhost:8001", "ML_AUTH_BASE": "http://127.0.0.1:8001"}


@pytest.fixture
def production(settings):
    settings.PRODUCTION = True
    settings.PEEPERS_LOCAL_DOUBLES = True
    return settings


def test_outside_production_the_doubles_always_run(settings):
    settings.PRODUCTION = False
    settings.PEEPERS_LOCAL_DOUBLES = False

    refusal = double_refusal(
        double="ML sandbox",
        api_bases={"ML_API_BASE": "https://api.mercadolibre.com"},
        bind_host="0.0.0.0",  # noqa: S104 - the point of the test
    )
    assert refusal is None


def test_production_refuses_without_the_setting(production):
    production.PEEPERS_LOCAL_DOUBLES = False

    refusal = double_refusal(double="ML sandbox", api_bases=SANDBOX, bind_host="127.0.0.1")

    assert refusal == (
        "the ML sandbox is for development and tests, not production (PEEPERS_LOCAL_DOUBLES is off)"
    )


def test_production_with_the_setting_runs_them_on_loopback(production):
    assert double_refusal(double="ML sandbox", api_bases=SANDBOX, bind_host="127.0.0.1") is None
    assert (
        double_refusal(
            double="Stripe emulator",
            api_bases={"STRIPE_API_BASE": "http://[::1]:12111"},
            bind_host="::1",
        )
        is None
    )


@pytest.mark.parametrize(
    ("name", "url"),
    [
        ("ML_API_BASE", "https://api.mercadolibre.com"),
        ("ML_AUTH_BASE", "https://auth.mercadolivre.com.br"),
        ("ML_API_BASE", "http://10.0.0.5:8001"),
    ],
)
def test_production_refuses_when_the_app_talks_to_another_host(production, name, url):
    refusal = double_refusal(
        double="ML sandbox", api_bases={**SANDBOX, name: url}, bind_host="127.0.0.1"
    )

    assert refusal is not None
    assert name in refusal
    assert "the real provider is in use" in refusal


def test_production_refuses_to_listen_beyond_loopback(production):
    refusal = double_refusal(
        double="Stripe emulator",
        api_bases={"STRIPE_API_BASE": "http://127.0.0.1:12111"},
        bind_host="0.0.0.0",  # noqa: S104 - the point of the test
    )

    assert refusal == "the Stripe emulator serves production only on loopback, not on '0.0.0.0'"


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("localhost", True),
        ("demo.localhost", True),
        ("127.0.0.1", True),
        ("127.8.0.1", True),
        ("[::1]", True),
        ("api.stripe.com", False),
        ("10.0.0.1", False),
        ("", False),
    ],
)
def test_loopback_hosts(host, loopback):
    assert is_loopback_host(host) is loopback


def test_the_command_refuses_a_real_production_deploy_even_with_the_setting():
    result = manage(
        "stripe_emulator",
        "--port",
        "0",
        **CONFIGURED,
        ML_WEBHOOK_ALLOWED_IPS="off",
        NOTIFY_URLS="off",
        PEEPERS_LOCAL_DOUBLES="true",
        STRIPE_API_BASE="https://api.stripe.com",
    )

    assert result.returncode != 0
    assert "STRIPE_API_BASE points at 'api.stripe.com'" in result.stderr
