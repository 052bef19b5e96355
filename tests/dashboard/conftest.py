"""Stores A and B with ML data seeded straight into their schemas, and the ML sandbox."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from peepers.redis import redis_client, redis_key
from tests.integrations.conftest import _fresh_ml_redis_state, ml_sandbox, sandbox

__all__ = ["_fresh_ml_redis_state", "ml_sandbox", "sandbox"]


@pytest.fixture(autouse=True)
def _no_sync_requests() -> Iterator[None]:
    yield
    client = redis_client()
    for key in client.scan_iter(redis_key("tenant", "*", "ml", "sync-requested")):
        client.delete(key)
