"""The WSGI entry point: webhooks take the lean path, everything else the full stack."""

import io
import json

import pytest
from django.conf import settings
from django.core import signals
from django.db import close_old_connections, connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import tenant_context

from integrations.models import MLNotification
from peepers.wsgi import application

pytestmark = pytest.mark.django_db


def call(path, *, method="GET", body=b"", host="localhost"):
    environ = {
        "REQUEST_METHOD": method,
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
    answer = {}

    def start_response(status, headers):
        answer["status"] = int(status.split()[0])
        answer["headers"] = dict(headers)

    # As Django's test client does: the test's transaction must survive the request.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        answer["body"] = b"".join(application(environ, start_response))
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)
    return answer


def notification(_id):
    return json.dumps(
        {
            "_id": _id,
            "resource": "/orders/1",
            "user_id": 1,
            "topic": "orders_v2",
            "application_id": settings.ML_CLIENT_ID,
        }
    ).encode()


def test_a_webhook_on_the_lean_path_costs_one_query():
    call("/api/webhook/mercado-livre", method="POST", body=notification("warm"))
    with CaptureQueriesContext(connection) as queries:
        answer = call("/api/webhook/mercado-livre", method="POST", body=notification("counted"))

    assert answer["status"] == 200
    assert json.loads(answer["body"]) == {"status": "accepted"}
    assert answer["headers"]["Content-Length"] == str(len(answer["body"]))
    assert [q["sql"].split()[0] for q in queries.captured_queries] == ["INSERT"]
    assert MLNotification.objects.filter(dedup_key="ml:counted").exists()


def test_the_lean_path_answers_only_on_the_public_host(tenant_a):
    answer = call(
        "/api/webhook/mercado-livre",
        method="POST",
        body=notification("x"),
        host="tenant-a.localhost",
    )
    assert answer["status"] == 404
    assert not MLNotification.objects.exists()


def test_a_disallowed_host_is_refused_on_the_lean_path():
    answer = call(
        "/api/webhook/mercado-livre", method="POST", body=notification("x"), host="evil.com"
    )
    assert answer["status"] == 400


def test_other_paths_take_the_full_stack(tenant_a):
    assert call("/api/ping")["status"] == 200
    assert call("/login/", host="tenant-a.localhost")["status"] == 200  # sessions, CSRF...


def test_switching_to_the_schema_already_set_sends_no_second_search_path(tenant_a):
    connection.set_schema_to_public()
    MLNotification.objects.count()  # the session's search_path is now public
    with CaptureQueriesContext(connection) as queries:
        MLNotification.objects.count()
        connection.set_schema_to_public()
        MLNotification.objects.count()
        with tenant_context(tenant_a):
            MLNotification.objects.count()
    statements = [q["sql"].split()[0] for q in queries.captured_queries]
    assert statements == ["SELECT", "SELECT", "SET", "SELECT"]  # a SET only for tenant-a
