"""Runbook tests: clean Redis state (metrics, ack-only mode, limiter, queues), the ML sandbox,
a WSGI call through the real entry point (lean path), eager Celery."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import pytest
import redis
from django.conf import settings
from django.core import signals
from django.db import close_old_connections

from core.redis import redis_client, redis_key
from core.tasks import QUEUES
from integrations.mercadolivre.ratelimit import limiter_factor_clear
from integrations.mercadolivre.webhook import ack_only_forget
from operations.runbooks import holds
from peepers.wsgi import application
from tests.integrations.conftest import ml_sandbox, sandbox  # noqa: F401  # shared fixtures
from tests.operations.incidents.conftest import celery_eager, closed_port  # noqa: F401

WEBHOOK = "/api/webhook/mercado-livre"


def _clean() -> None:
    client = redis_client()
    for pattern in ("metrics:*", "ml:*", redis_key("ml-webhook", "*"), redis_key("runbooks", "*")):
        for key in client.scan_iter(pattern):
            client.delete(key)
    broker = redis.Redis.from_url(settings.REDIS_URL)
    for queue in QUEUES:
        broker.delete(queue)
    broker.close()
    ack_only_forget()
    limiter_factor_clear()


@pytest.fixture(autouse=True)
def _fresh_runbook_state() -> Iterator[None]:
    _clean()
    yield
    _clean()


@pytest.fixture(autouse=True)
def _prompt_control_replies(monkeypatch: pytest.MonkeyPatch) -> None:
    """A hold asks every worker and listens for the whole reply window (it cannot know how many
    will answer): 2 s a queue in production. The tests' workers are idle and local, and answer
    a ping within 1 s (``worker_answering``), so 1 s is window enough here."""
    monkeypatch.setattr(holds, "CONTROL_TIMEOUT", 1.0)


def wsgi_post(body: bytes, *, path: str = WEBHOOK, host: str = "localhost") -> dict[str, Any]:
    """One POST through ``peepers.wsgi.application`` (the lean path for webhooks)."""
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": path,
        "SERVER_NAME": "localhost",
        "SERVER_PORT": "80",
        "HTTP_HOST": host,
        "wsgi.input": io.BytesIO(body),
        "CONTENT_LENGTH": str(len(body)),
        "CONTENT_TYPE": "application/json",
        "wsgi.url_scheme": "http",
        "REMOTE_ADDR": "127.0.0.1",
        "SERVER_PROTOCOL": "HTTP/1.1",
    }
    answer: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]]) -> None:
        answer["status"] = int(status.split()[0])

    # As Django's test client does: the test's transaction must survive the request.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        answer["body"] = b"".join(application(environ, start_response))
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)
    return answer
