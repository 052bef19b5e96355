"""Stores A and B with ML data seeded straight into their schemas, and the ML sandbox."""

from __future__ import annotations

from tests.integrations.conftest import _fresh_ml_redis_state, ml_sandbox, sandbox

__all__ = ["_fresh_ml_redis_state", "ml_sandbox", "sandbox"]
