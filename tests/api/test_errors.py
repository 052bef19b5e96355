"""Every API error has one shape: {"error": {"code", "message", "details"}}."""

from __future__ import annotations

import pytest
from django.test import RequestFactory

from api.error_handlers import api_exception_handler, page_not_found, server_error
from tests.api.conftest import api_client, make_items

pytestmark = pytest.mark.django_db


def assert_shaped(response, status, code=None):
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "details"}
    assert isinstance(body["error"]["message"], str)
    assert body["error"]["message"]
    assert isinstance(body["error"]["details"], dict)
    if code is not None:
        assert body["error"]["code"] == code
    return body["error"]


def test_validation_errors(tenant_a, client_a):
    error = assert_shaped(client_a.get("/api/v1/items/?page_size=0"), 400, "validation_error")
    assert "page_size" in error["details"]["fields"]
    error = assert_shaped(
        client_a.post("/api/v1/privacy-requests/", {"kind": "x"}, content_type="application/json"),
        400,
        "validation_error",
    )
    assert "kind" in error["details"]["fields"]


def test_malformed_json_is_400(tenant_a, client_a):
    response = client_a.post(
        "/api/v1/privacy-requests/", "{not json", content_type="application/json"
    )
    assert_shaped(response, 400, "parse_error")


def test_unauthenticated_is_401(tenant_a):
    assert_shaped(api_client(tenant_a).get("/api/v1/orders/"), 401, "not_authenticated")


def test_unknown_objects_and_routes_are_404(tenant_a, client_a):
    assert_shaped(client_a.get("/api/v1/items/MLB404/"), 404, "not_found")
    assert_shaped(client_a.get("/api/v1/orders/12345/"), 404, "not_found")
    assert_shaped(client_a.get("/api/v1/no-such-thing/"), 404, "not_found")
    assert_shaped(client_a.get("/api/v1/orders/not-a-number/"), 404, "not_found")


def test_wrong_methods_are_405(tenant_a, client_a):
    make_items(tenant_a, 1)
    assert_shaped(client_a.delete("/api/v1/items/MLB000000000/"), 405, "method_not_allowed")
    assert_shaped(client_a.post("/api/v1/orders/"), 405, "method_not_allowed")


def test_a_form_body_is_415(tenant_a, client_a):
    response = client_a.post("/api/v1/privacy-requests/", {"kind": "erasure"})
    assert_shaped(response, 415, "unsupported_media_type")


def test_rate_limited_is_429(tenant_a, client_a, settings):
    settings.PEEPERS_API_BURST_PER_MINUTE = 1
    client_a.get("/api/v1/items/")
    error = assert_shaped(client_a.get("/api/v1/items/"), 429, "burst_limit_exceeded")
    assert error["details"]["retry_after"] > 0


def test_an_unexpected_exception_is_a_shaped_500():
    request = RequestFactory().get("/api/v1/items/")
    response = api_exception_handler(RuntimeError("boom"), {"request": request})
    assert response is not None
    assert response.status_code == 500
    assert response.data["error"]["code"] == "server_error"
    assert "boom" not in str(response.data)


def test_the_handlers_answer_json_under_api_and_html_elsewhere(tenant_a):
    factory = RequestFactory()
    api_404 = page_not_found(factory.get("/api/v1/x/"), Exception())
    api_500 = server_error(factory.get("/api/v1/x/"))
    assert api_404.status_code == 404
    assert api_404["Content-Type"] == "application/json"
    assert api_500.status_code == 500
    assert api_500["Content-Type"] == "application/json"
    assert page_not_found(factory.get("/products/x/"), Exception())["Content-Type"].startswith(
        "text/html"
    )
