"""GET /api/health: each dependency checked; 503 names what failed; any Host is answered."""

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client

from peepers.celery import app as celery_app


def get_health():
    return Client(HTTP_HOST="localhost").get("/api/health")


@pytest.mark.django_db
def test_healthy_answers_200_with_every_check():
    response = get_health()

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database", "redis", "broker", "migrations"}
    assert all(check["ok"] for check in body["checks"].values())
    assert response["Cache-Control"].startswith("max-age=0")


@pytest.mark.django_db
def test_redis_down_is_503_naming_redis(settings):
    settings.CACHES = {
        "default": {
            **settings.CACHES["default"],
            "LOCATION": "unix:///nonexistent/peepers-test/redis.sock?db=1",
        }
    }
    response = get_health()

    assert response.status_code == 503
    body = response.json()
    assert body["failing"] == ["redis"]
    assert body["checks"]["redis"]["ok"] is False
    assert body["checks"]["database"]["ok"] is True


@pytest.mark.django_db
def test_broker_down_is_503_naming_the_broker():
    original = celery_app.conf.broker_url
    celery_app.conf.broker_url = "redis://127.0.0.1:9/0"
    try:
        response = get_health()
    finally:
        celery_app.conf.broker_url = original

    assert response.status_code == 503
    assert response.json()["failing"] == ["broker"]


@pytest.mark.usefixtures("committed_db")
def test_unapplied_migrations_are_503_naming_the_schema():
    cache.clear()
    with connection.cursor() as cursor:
        cursor.execute(
            'DELETE FROM "tenant-b".django_migrations WHERE app = %s AND name = %s',
            ["billing", "0002_default_plans"],
        )
    try:
        response = get_health()
    finally:
        with connection.cursor() as cursor:
            cursor.execute(
                'INSERT INTO "tenant-b".django_migrations (app, name, applied) '
                "VALUES (%s, %s, now())",
                ["billing", "0002_default_plans"],
            )

    assert response.status_code == 503
    body = response.json()
    assert body["failing"] == ["migrations"]
    assert body["checks"]["migrations"]["detail"].startswith("1 schema(s) with unapplied")
    assert "tenant-b" not in response.content.decode()


def test_ping_answers_without_touching_dependencies(settings):
    settings.CACHES = {
        "default": {**settings.CACHES["default"], "LOCATION": "unix:///nonexistent/r.sock?db=1"}
    }
    response = Client(HTTP_HOST="localhost").get("/api/ping")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db
@pytest.mark.parametrize("host", ["10.1.2.3:8000", "10.1.2.3", "[fd00::5]:8000", "probe.invalid"])
def test_health_answers_whatever_the_host(host):
    response = Client(HTTP_HOST=host).get("/api/health")

    assert response.status_code == 200
    assert response.json()["status"] == "ok"


@pytest.mark.parametrize("host", ["10.1.2.3:8000", "probe.invalid"])
def test_ping_answers_whatever_the_host(host):
    response = Client(HTTP_HOST=host).get("/api/ping")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/admin/login/", "/signup/"])
def test_other_paths_still_refuse_a_host_not_allowed(path):
    assert Client(HTTP_HOST="localhost").get(path).status_code == 200

    response = Client(HTTP_HOST="10.1.2.3:8000").get(path)

    # django-tenants answers DisallowedHost with an empty 404 (no page, no tenant lookup).
    assert response.status_code == 404
    assert response.content == b""
