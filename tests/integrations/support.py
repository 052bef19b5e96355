"""Connecting a store to the sandbox the way a seller would, for tests that need an account."""

from __future__ import annotations

from django.test import Client

from integrations.mercadolivre.services import ml_connect_start
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
