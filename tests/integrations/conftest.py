import pytest

from core.redis import redis_client
from tests.integrations.support import UNLIMITED
from tests.support.clock import FakeClock


@pytest.fixture(autouse=True)
def _english(settings) -> None:
    """Pages and messages in the source language, so assertions read the msgids (the
    Portuguese ones are checked where a test asks for pt-br)."""
    settings.LANGUAGE_CODE = "en"


@pytest.fixture(autouse=True)
def _fresh_ml_redis_state() -> None:
    """Rate-limit budgets and breaker state are shared through Redis: start each test clean."""
    client = redis_client()
    for key in client.scan_iter("ml:*"):
        client.delete(key)


@pytest.fixture
def unlimited(settings) -> None:
    """No rate limit on ML calls (the app's nor the per-seller one) for this test."""
    settings.ML_RATE_LIMIT_PER_MINUTE = settings.ML_SELLER_RATE_LIMIT_PER_MINUTE = UNLIMITED


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture(scope="session")
def ml_sandbox():
    """The ML sandbox as a real HTTP server for the whole run, registered with our app."""
    from django.conf import settings

    from doubles.mercadolivre import SandboxConfig, SandboxServer
    from tests.support.sandbox import SandboxAdmin

    server = SandboxServer(
        SandboxConfig(
            client_id=settings.ML_CLIENT_ID,
            client_secret=settings.ML_CLIENT_SECRET,
            redirect_uris=(settings.ML_REDIRECT_URI,),
            pkce_required=True,
            sellers=3,
            items=30,
            orders=10,
            questions=5,
            seed=7,
            webhook_url=None,
        ),
        host="127.0.0.1",
        port=0,
    )
    server.start()
    try:
        yield SandboxAdmin(server, settings.ML_CLIENT_SECRET)
    finally:
        server.stop()


@pytest.fixture
def sandbox(ml_sandbox, settings):
    """The sandbox, reset, with ML_API_BASE/ML_AUTH_BASE pointing at it for this test."""
    ml_sandbox.reset()
    settings.ML_API_BASE = ml_sandbox.server.url
    settings.ML_AUTH_BASE = ml_sandbox.server.url
    return ml_sandbox
