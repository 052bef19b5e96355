"""Settings → API tokens: create (secret shown once), list and revoke."""

from __future__ import annotations

import re

import pytest
from django_tenants.utils import tenant_context

from api.models import ApiToken
from tests.api.conftest import api_client
from tests.support.clients import store_client

pytestmark = pytest.mark.django_db

PAGE = "/settings/api-tokens/"


def test_creating_shows_the_secret_once_and_it_works(tenant_a):
    client = store_client(tenant_a, login=True)
    created = client.post(PAGE, {"name": "ERP", "expires": "90"})

    assert created.status_code == 200
    secret = re.search(r"ppk_[a-z0-9]{8}_[A-Za-z0-9_-]+", created.text).group(0)
    assert api_client(tenant_a, secret).get("/api/v1/items/").status_code == 200
    assert created["Cache-Control"] == "no-store"
    listed = client.get(PAGE)
    assert "ERP" in listed.text
    assert secret not in listed.text
    with tenant_context(tenant_a):
        token = ApiToken.objects.get()
    assert token.expires_at is not None
    assert f"ppk_{token.prefix}_" in listed.text


def test_a_token_without_a_name_is_refused(tenant_a):
    client = store_client(tenant_a, login=True)
    response = client.post(PAGE, {"name": "", "expires": "30"})
    assert response.status_code == 400
    with tenant_context(tenant_a):
        assert not ApiToken.objects.exists()


def test_revoking_stops_the_token(tenant_a):
    client = store_client(tenant_a, login=True)
    created = client.post(PAGE, {"name": "ERP", "expires": "never"})
    secret = re.search(r"ppk_[a-z0-9]{8}_[A-Za-z0-9_-]+", created.text).group(0)
    with tenant_context(tenant_a):
        token = ApiToken.objects.get()

    revoked = client.post(f"/settings/api-tokens/{token.pk}/revoke/")

    assert revoked.status_code == 302
    assert api_client(tenant_a, secret).get("/api/v1/items/").status_code == 401
    with tenant_context(tenant_a):
        assert ApiToken.objects.get().revoked_at is not None


def test_another_users_token_cannot_be_revoked(tenant_a):
    from api.tokens import api_token_create
    from users.models import User

    with tenant_context(tenant_a):
        clerk = User.objects.create_user("clerk@a.example.com", "x-long-password-1")
        theirs = api_token_create(user=clerk, name="clerk's").token
    client = store_client(tenant_a, login=True)
    assert client.post(f"/settings/api-tokens/{theirs.pk}/revoke/").status_code == 404
    assert "clerk's" not in client.get(PAGE).text


def test_the_page_needs_a_login(tenant_a):
    response = store_client(tenant_a).get(PAGE)
    assert response.status_code == 302
    assert "/login/" in response["Location"]
