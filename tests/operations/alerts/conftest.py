"""Alert tests run on a fixed past hour of metrics, so live traffic from other tests never mixes
in, and with a clean evaluator memory (states, streaks, incidents)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from core.metrics import STREAK_PREFIX, metrics_flush
from core.redis import redis_client
from operations.alerts.models import AlertState, RuleFile
from operations.incidents.models import Incident
from tests.operations.incidents.conftest import (  # noqa: F401  (real HTTP channel, eager Celery)
    celery_eager,
    receiver,
)

T0 = datetime(2026, 11, 3, 10, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _clean(db: None) -> Iterator[None]:
    def wipe() -> None:
        metrics_flush()
        client = redis_client()
        for pattern in ("metrics:*:20261103*", f"{STREAK_PREFIX}*"):
            for key in client.scan_iter(pattern):
                client.delete(key)

    wipe()
    AlertState.objects.all().delete()
    RuleFile.objects.all().delete()
    Incident.objects.all().delete()
    yield
    wipe()


def at(minutes: float = 0, seconds: float = 0) -> datetime:
    return T0 + timedelta(minutes=minutes, seconds=seconds)
