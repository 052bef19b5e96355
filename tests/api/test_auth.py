"""Who may call the store API: bearer tokens (good, bad, revoked, expired) and sessions + CSRF."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from django_tenants.utils import tenant_context

from api.models import ApiToken
from api.tokens import api_token_check, api_token_create, api_token_revoke, token_hash
from compliance.audit.models import AuditEvent
from tests.api.conftest import api_client, token_for
from tests.support.clients import owner_of, store_client

pytestmark = pytest.mark.django_db


def test_a_bearer_token_reads_the_store(tenant_a, client_a):
    response = client_a.get("/api/v1/items/")
    assert response.status_code == 200
    assert response.json() == {"next": None, "previous": None, "results": []}


def test_the_token_keyword_works_too(tenant_a, token_a):
    client = Client(HTTP_HOST=tenant_a.get_primary_domain().domain)
    response = client.get("/api/v1/items/", HTTP_AUTHORIZATION=f"Token {token_a}")
    assert response.status_code == 200


def test_no_credentials_is_401_with_a_bearer_challenge(tenant_a):
    response = api_client(tenant_a).get("/api/v1/items/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'
    assert response.json()["error"]["code"] == "not_authenticated"


@pytest.mark.parametrize(
    "header",
    [
        "Bearer ppk_nosuchpr_secret",
        "Bearer not-a-token",
        "Bearer ",
        "Bearer a b",
        "Token",
    ],
)
def test_a_bad_token_is_401(tenant_a, token_a, header):
    client = Client(HTTP_HOST=tenant_a.get_primary_domain().domain)
    response = client.get("/api/v1/items/", HTTP_AUTHORIZATION=header)
    assert response.status_code == 401
    assert set(response.json()["error"]) == {"code", "message", "details"}


def test_a_token_with_a_wrong_secret_is_401(tenant_a, token_a):
    scheme, prefix, secret = token_a.split("_", 2)
    forged = f"{scheme}_{prefix}_{secret[:-1]}{'A' if secret[-1] != 'A' else 'B'}"
    response = api_client(tenant_a, forged).get("/api/v1/items/")
    assert response.status_code == 401


def test_a_revoked_token_is_401(tenant_a, token_a):
    with tenant_context(tenant_a):
        token = ApiToken.objects.get()
        api_token_revoke(token=token, user=owner_of(tenant_a))
    response = api_client(tenant_a, token_a).get("/api/v1/items/")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "token_invalid"


def test_an_expired_token_is_401(tenant_a, token_a):
    with tenant_context(tenant_a):
        ApiToken.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert api_client(tenant_a, token_a).get("/api/v1/items/").status_code == 401


def test_a_deactivated_users_token_is_401(tenant_a, token_a):
    with tenant_context(tenant_a):
        owner = owner_of(tenant_a)
        owner.is_active = False
        owner.save(update_fields=["is_active"])
    assert api_client(tenant_a, token_a).get("/api/v1/items/").status_code == 401


def test_only_the_hash_of_the_secret_is_stored(tenant_a, token_a):
    with tenant_context(tenant_a):
        token = ApiToken.objects.get()
    assert token.secret_hash == token_hash(token_a)
    assert token_a.split("_", 2)[2] not in token.secret_hash
    assert token_a.startswith(f"ppk_{token.prefix}_")


def test_last_used_is_written_at_most_once_a_minute(tenant_a, token_a):
    client = api_client(tenant_a, token_a)
    client.get("/api/v1/items/")
    with tenant_context(tenant_a):
        first = ApiToken.objects.get().last_used_at
    client.get("/api/v1/items/")
    with tenant_context(tenant_a):
        assert ApiToken.objects.get().last_used_at == first
        ApiToken.objects.update(last_used_at=first - timedelta(minutes=2))
    client.get("/api/v1/items/")
    with tenant_context(tenant_a):
        assert ApiToken.objects.get().last_used_at > first


def test_creating_and_revoking_are_audited(tenant_a):
    with tenant_context(tenant_a):
        owner = owner_of(tenant_a)
        issued = api_token_create(user=owner, name="ERP")
        api_token_revoke(token=issued.token, user=owner)
    events = list(AuditEvent.objects.filter(tenant=tenant_a).order_by("id"))
    assert [e.details["event"] for e in events] == ["api_token_created", "api_token_revoked"]
    assert all(e.actor_email == owner.email for e in events)
    assert all(issued.secret not in str(e.details) for e in events)


def test_the_check_refuses_anything_not_shaped_like_a_token(tenant_a, token_a):
    with tenant_context(tenant_a):
        assert api_token_check(token_a) is not None
        for raw in ["", "ppk__x", "ppk_x_", "xyz_a_b", token_a + "x", token_a[:-1]]:
            assert api_token_check(raw) is None


def test_a_session_reads_without_a_token(tenant_a):
    client = store_client(tenant_a, login=True)
    assert client.get("/api/v1/items/").status_code == 200


def test_a_session_write_needs_the_csrf_token(tenant_a):
    client = store_client(tenant_a, login=True)
    client.handler.enforce_csrf_checks = True
    refused = client.post(
        "/api/v1/privacy-requests/", {"kind": "erasure"}, content_type="application/json"
    )
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "permission_denied"
    assert "CSRF" in refused.json()["error"]["message"]

    client.get("/settings/api-tokens/")
    csrf = client.cookies["csrftoken"].value
    accepted = client.post(
        "/api/v1/privacy-requests/",
        {"kind": "erasure"},
        content_type="application/json",
        HTTP_X_CSRFTOKEN=csrf,
    )
    assert accepted.status_code == 201, accepted.content


def test_a_token_write_needs_no_csrf(tenant_a, token_a):
    client = api_client(tenant_a, token_a)
    client.handler.enforce_csrf_checks = True
    response = client.post(
        "/api/v1/privacy-requests/", {"kind": "erasure"}, content_type="application/json"
    )
    assert response.status_code == 201


def test_tokens_work_on_a_store_host_only(tenant_a, token_a):
    response = Client(HTTP_HOST="localhost").get(
        "/api/v1/items/", HTTP_AUTHORIZATION=f"Bearer {token_a}"
    )
    assert response.status_code == 404


def test_another_stores_token_is_401_here(tenant_a, tenant_b, token_a):
    token_for(tenant_b)
    response = api_client(tenant_b, token_a).get("/api/v1/items/")
    assert response.status_code == 401
