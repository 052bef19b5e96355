from collections.abc import Iterator

import pytest

from peepers.redis import redis_client
from tests.support.clock import FakeClock


@pytest.fixture(autouse=True)
def _fresh_ml_redis_state() -> Iterator[None]:
    """Rate-limit budgets and breaker state are shared through Redis: start each test clean."""
    client = redis_client()
    for key in client.scan_iter("ml:*"):
        client.delete(key)
    yield


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()
