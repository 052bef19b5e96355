"""Over HTTP, a store's host serves only that store: sessions, objects and routes."""

import pytest
from django.test import Client
from django.utils import translation
from django_tenants.utils import tenant_context

from tenants.models import TenantStatus
from tenants.services import tenant_set_status
from tests.support.clients import store_client
from users.models import User

pytestmark = pytest.mark.django_db


def test_a_session_from_store_a_is_not_logged_in_on_store_b(tenant_a, tenant_b):
    client_a = store_client(tenant_a, login=True)
    assert client_a.get("/").status_code == 200
    cookie = client_a.cookies["sessionid"].value

    replay = Client(HTTP_HOST=tenant_b.get_primary_domain().domain)
    replay.cookies["sessionid"] = cookie
    response = replay.get("/")

    assert response.status_code == 302
    assert response["Location"].startswith("/login/")
    assert replay.get("/api/v1/team/").status_code == 403


def test_store_a_object_id_on_store_b_is_404(tenant_a, tenant_b):
    with tenant_context(tenant_a):
        clerk = User.objects.create_user("clerk@a.example.com", "x-long-password-1")
    client_b = store_client(tenant_b, login=True)

    response = client_b.get(f"/api/v1/team/{clerk.pk}/")

    assert response.status_code == 404
    listed = client_b.get("/api/v1/team/").json()
    assert [member["email"] for member in listed] == ["owner@b.example.com"]


def test_store_sees_its_own_objects(tenant_a):
    with tenant_context(tenant_a):
        clerk = User.objects.create_user("clerk@a.example.com", "x-long-password-1")
    response = store_client(tenant_a, login=True).get(f"/api/v1/team/{clerk.pk}/")
    assert response.status_code == 200
    assert response.json()["email"] == "clerk@a.example.com"


# The unknown-host, suspended and closed pages are answered by the tenant router, before
# LocaleMiddleware: they choose the visitor's language themselves, for that response only.


def test_unknown_host_is_a_404_page_in_the_visitors_language():
    client = Client(HTTP_HOST="no-such-store.localhost")
    with translation.override("en"):  # whatever the thread had before
        response = client.get("/")
        assert translation.get_language() == "en"
    assert response.status_code == 404
    assert "Não há nenhuma loja neste endereço" in response.text
    assert response["Content-Language"] == "pt-br"
    assert "Accept-Language" in response["Vary"]

    english = client.get("/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert english["Content-Language"] == "en"
    assert "Não há nenhuma loja" not in english.text
    assert '<html lang="en">' in english.text

    client.cookies["django_language"] = "en"
    assert client.get("/")["Content-Language"] == "en"


def test_public_host_does_not_serve_store_routes():
    client = Client(HTTP_HOST="localhost")
    assert client.get("/login/").status_code == 404
    assert client.get("/api/v1/team/").status_code == 404


def test_store_host_does_not_serve_public_routes(tenant_a):
    client = store_client(tenant_a)
    assert client.get("/signup/").status_code == 404
    assert client.get("/admin/").status_code == 404


def test_suspended_store_shows_a_403_page(tenant_a):
    tenant_set_status(tenant=tenant_a, status=TenantStatus.SUSPENDED)
    with translation.override("en"):
        response = store_client(tenant_a).get("/login/")
    assert response.status_code == 403
    assert "Esta conta está suspensa" in response.text
    english = store_client(tenant_a).get("/login/", HTTP_ACCEPT_LANGUAGE="en")
    assert english.status_code == 403
    assert english["Content-Language"] == "en"
    assert "Esta conta está suspensa" not in english.text


def test_closed_store_shows_a_410_page(tenant_a):
    tenant_set_status(tenant=tenant_a, status=TenantStatus.CLOSED)
    with translation.override("en"):
        response = store_client(tenant_a).get("/")
    assert response.status_code == 410
    assert "Esta loja foi encerrada" in response.text


def test_store_api_base_refuses_subclasses_that_bypass_scoping():
    from tenants.api import StoreViewSet

    with pytest.raises(TypeError, match="scoped_queryset"):

        class Leaky(StoreViewSet):
            def get_queryset(self):
                return User.objects.all()
