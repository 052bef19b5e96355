"""A throttled call's ``detail`` in the client's language (Accept-Language): pt-BR or English."""

from __future__ import annotations

import pytest

from billing.models import Plan
from billing.sync import entitlement_forget
from tests.api.conftest import api_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def three_calls_a_day(tenant_a):
    Plan.objects.filter(code="starter").update(api_calls_per_day=3)
    entitlement_forget(tenant_a.pk)


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        (
            "pt-BR",
            "O plano Starter permite 3 chamadas à API por dia. "
            "Mude de plano em /billing/ para aumentar este limite.",
        ),
        (
            "en",
            "The Starter plan allows 3 API calls a day. "
            "Upgrade your plan at /billing/ to raise this limit.",
        ),
    ],
)
def test_the_daily_limit_is_explained_in_the_clients_language(
    three_calls_a_day, client_a, language, expected
):
    for _ in range(3):
        assert client_a.get("/api/v1/items/").status_code == 200

    refused = client_a.get("/api/v1/items/", HTTP_ACCEPT_LANGUAGE=language)

    assert refused.status_code == 429
    error = refused.json()["error"]
    assert error["code"] == "daily_limit_exceeded"
    assert error["message"].startswith(expected)


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("pt-BR", "No máximo 2 chamadas à API por minuto por token; diminua o ritmo."),
        ("en", "At most 2 API calls a minute per token; slow down."),
    ],
)
def test_the_burst_limit_is_explained_in_the_clients_language(
    tenant_a, token_a, settings, language, expected
):
    settings.PEEPERS_API_BURST_PER_MINUTE = 2
    client = api_client(tenant_a, token_a)
    for _ in range(2):
        assert client.get("/api/v1/items/").status_code == 200

    refused = client.get("/api/v1/items/", HTTP_ACCEPT_LANGUAGE=language)

    assert refused.status_code == 429
    error = refused.json()["error"]
    assert error["code"] == "burst_limit_exceeded"
    assert error["message"].startswith(expected)
