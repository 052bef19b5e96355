"""Connecting a store to the sandbox the way a seller would, and ML notifying it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from django.test import Client
from django_tenants.utils import tenant_context

from billing.sync import entitlement_forget
from doubles.mercadolivre import SandboxConfig, SandboxServer
from integrations.mercadolivre.models import MLQuestion
from integrations.mercadolivre.services import ml_connect_start
from integrations.mercadolivre.sync import ml_sync_initial
from integrations.models import MLNotification
from tenants.models import Tenant
from tests.support.sandbox import SandboxAdmin, approve

UNLIMITED = 10_000_000  # ML calls a minute: more than any test makes


def on_plan(tenant: Tenant, code: str) -> None:
    """``tenant`` on the plan ``code`` from now on (its cached entitlement forgotten)."""
    Tenant.objects.filter(pk=tenant.pk).update(plan_code=code)
    tenant.refresh_from_db()
    entitlement_forget(tenant.pk)


@contextmanager
def sandbox_until(settings: Any, *, data_end: datetime, **sizes: Any) -> Iterator[SandboxAdmin]:
    """A sandbox server of its own whose data is generated up to ``data_end``, ``sizes``
    giving its sellers, items, orders, questions and seed, with the app's settings pointing
    at it while it runs."""
    server = SandboxServer(
        SandboxConfig(
            client_id=settings.ML_CLIENT_ID,
            client_secret=settings.ML_CLIENT_SECRET,
            redirect_uris=(settings.ML_REDIRECT_URI,),
            webhook_url=None,
            data_end=data_end,
            **sizes,
        ),
        host="127.0.0.1",
        port=0,
    )
    server.start()
    settings.ML_API_BASE = settings.ML_AUTH_BASE = server.url
    try:
        yield SandboxAdmin(server, settings.ML_CLIENT_SECRET)
    finally:
        server.stop()


def connect(sandbox: SandboxAdmin, tenant: Tenant, *, seller_index: int = 0) -> int:
    """Connect ``tenant`` to the sandbox seller at ``seller_index``; its ML user id."""
    seller = sandbox.sellers[seller_index]
    started = ml_connect_start(tenant=tenant, started_by="test")
    params = approve(started.authorization_url, seller_id=seller.id)
    response = Client(HTTP_HOST="localhost").get("/auth/callback", params)
    assert response.status_code == 302, response.content
    return int(seller.id)


def notify(seller_id: int, question_id: int) -> MLNotification:
    """ML's questions notification (no _id, user_id as a string), through the endpoint."""
    body = {
        "resource": f"/questions/{question_id}",
        "user_id": str(seller_id),
        "topic": "questions",
        "application_id": "peepers-sandbox-app",
        "attempts": 1,
        "sent": "2026-11-27T10:00:00.000Z",
        "received": "2026-11-27T10:00:00.000Z",
    }
    response = Client(HTTP_HOST="localhost").post(
        "/api/webhook/mercado-livre", json.dumps(body), content_type="application/json"
    )
    assert response.status_code == 200
    return MLNotification.objects.get(resource=f"/questions/{question_id}")


def connected_and_synced(sandbox: SandboxAdmin, tenant: Tenant) -> int:
    """``tenant`` connected to the first sandbox seller and synced once; the seller's id."""
    seller_id = connect(sandbox, tenant)
    ml_sync_initial(tenant=tenant)
    return seller_id


def open_question(tenant: Tenant) -> MLQuestion:
    """The store's first unanswered question."""
    with tenant_context(tenant):
        question = MLQuestion.objects.filter(status="UNANSWERED").order_by("id").first()
    assert question is not None
    return question
