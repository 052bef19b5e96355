"""Stores A and B with ML data seeded straight into their schemas, and the ML sandbox."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.utils.translation import trans_real

from peepers.i18n_compile import catalogues_compile
from peepers.redis import redis_client, redis_key
from tests.integrations.conftest import _fresh_ml_redis_state, ml_sandbox, sandbox

__all__ = ["_fresh_ml_redis_state", "ml_sandbox", "sandbox"]

# The catalogues are build output (make install compiles them); the tests need them current.
if catalogues_compile():
    trans_real._translations = {}


@pytest.fixture(autouse=True)
def _no_sync_requests() -> Iterator[None]:
    yield
    client = redis_client()
    for key in client.scan_iter(redis_key("tenant", "*", "dashboard", "*")):
        client.delete(key)
