"""Connecting a store to the sandbox the way a seller would, and ML notifying it."""

from __future__ import annotations

import json

from django.test import Client
from django_tenants.utils import tenant_context

from integrations.mercadolivre.models import MLQuestion
from integrations.mercadolivre.services import ml_connect_start
from integrations.mercadolivre.sync import ml_sync_initial
from integrations.models import MLNotification
from tenants.models import Tenant
from tests.support.sandbox import SandboxAdmin, approve


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
