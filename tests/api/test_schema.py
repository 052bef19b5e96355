"""The OpenAPI schema is the contract: schemathesis calls every operation with generated input
and checks that nothing is a 5xx and every response matches the schema."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.api.conftest import api_client, make_items, make_orders, make_questions

pytestmark = pytest.mark.django_db

SPEC: dict[str, Any] = SchemaGenerator(urlconf="peepers.urls_tenant").get_schema(
    request=None, public=True
)
schema = schemathesis.openapi.from_dict(SPEC)


class InTransactionWSGI:
    """Django's WSGI app, served inside the test's transaction (as Django's test client does:
    without closing the connection at the end of each request)."""

    def __init__(self) -> None:
        self.handler = WSGIHandler()

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        request_started.disconnect(close_old_connections)
        request_finished.disconnect(close_old_connections)
        try:
            response = self.handler(environ, start_response)
            try:
                body = b"".join(response)
            finally:
                response.close()
        finally:
            request_started.connect(close_old_connections)
            request_finished.connect(close_old_connections)
        return [body]


schema.app = InTransactionWSGI()


def test_the_schema_describes_every_endpoint():
    client_paths = set(SPEC["paths"])
    assert {
        "/api/v1/items/",
        "/api/v1/items/{id}/",
        "/api/v1/orders/",
        "/api/v1/orders/{id}/",
        "/api/v1/questions/",
        "/api/v1/questions/{id}/",
        "/api/v1/questions/{id}/answer/",
        "/api/v1/sync-runs/",
        "/api/v1/sync-runs/{id}/",
        "/api/v1/webhook-events/",
        "/api/v1/webhook-events/{id}/",
        "/api/v1/subscription/",
        "/api/v1/overview/",
        "/api/v1/privacy-requests/",
        "/api/v1/privacy-requests/{id}/",
        "/api/v1/team/",
        "/api/v1/team/{id}/",
    } == client_paths
    assert SPEC["info"] == {
        "title": "Peepers API",
        "version": "1.0.0",
        "description": SPEC["info"]["description"],
    }
    assert set(SPEC["components"]["securitySchemes"]) == {"bearer", "cookieAuth"}


def test_schema_and_docs_are_served_on_a_store_host(tenant_a):
    client = api_client(tenant_a)
    served = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    docs = client.get("/api/docs/")
    assert served.status_code == 200
    assert served.json()["info"]["title"] == "Peepers API"
    assert docs.status_code == 200
    assert b"/static/drf_spectacular_sidecar/swagger-ui-dist/" in docs.content
    assert b"cdn." not in docs.content


@pytest.fixture
def seeded(tenant_a, token_a):
    make_items(tenant_a, 3)
    make_orders(tenant_a, 3)
    make_questions(tenant_a, 3)
    return {
        "Host": tenant_a.get_primary_domain().domain,
        "Authorization": f"Bearer {token_a}",
    }


@schema.parametrize()
@settings(
    max_examples=8,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_no_operation_errors_or_breaks_its_schema(case, seeded, settings):
    settings.PEEPERS_API_BURST_PER_MINUTE = 100_000
    case.call_and_validate(
        headers=seeded,
        checks=[
            not_a_server_error,
            status_code_conformance,
            content_type_conformance,
            response_schema_conformance,
        ],
    )
