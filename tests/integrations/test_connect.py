"""Connecting a store's Mercado Livre account through the real views and the sandbox."""

import io
import time
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core import signing
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client
from django_tenants.utils import tenant_context

from compliance.audit.models import ActorKind, AuditAction, AuditEvent
from compliance.audit.services import Actor
from integrations.mercadolivre.errors import MLDisconnectNotAllowed
from integrations.mercadolivre.models import MLAccount, MLAccountStatus
from integrations.mercadolivre.services import STATE_SALT, ml_disconnect
from integrations.models import MLAuthorization, MLConnection
from tenants.models import Tenant
from tests.support.clients import owner_of, store_client
from tests.support.sandbox import approve
from users.models import Role, User

pytestmark = pytest.mark.django_db


def start_connect(tenant):
    response = store_client(tenant, login=True).post("/settings/mercado-livre/connect")
    assert response.status_code == 302
    return response["Location"]


def callback(params):
    return Client(HTTP_HOST="localhost").get("/auth/callback", params)


def stored_state(tenant):
    with tenant_context(tenant):
        accounts = list(MLAccount.objects.values_list("ml_user_id", "status", "access_token"))
    return {
        "accounts": accounts,
        "connections": list(MLConnection.objects.values_list("ml_user_id", "tenant_id")),
        "ml_user_id": Tenant.objects.get(pk=tenant.pk).ml_user_id,
    }


def test_a_seller_connects_their_account(sandbox, tenant_a):
    seller = sandbox.sellers[0]
    url = start_connect(tenant_a)
    query = parse_qs(urlsplit(url).query)
    assert url.startswith(f"{sandbox.server.url}/authorization?")
    assert query["code_challenge_method"] == ["S256"]
    assert query["redirect_uri"] == ["http://localhost:8000/auth/callback"]

    response = callback(approve(url, seller_id=seller.id))

    assert response.status_code == 302
    assert response["Location"] == (
        "http://tenant-a.localhost:8000/settings/mercado-livre/?connected=1"
    )
    assert sandbox.token_requests("authorization_code") == 1
    tenant_a.refresh_from_db()
    assert tenant_a.ml_user_id == seller.id
    connection_row = MLConnection.objects.get(ml_user_id=seller.id)
    assert connection_row.tenant == tenant_a
    assert connection_row.nickname == seller.nickname
    with tenant_context(tenant_a):
        account = MLAccount.objects.get()
        assert account.status == MLAccountStatus.ACTIVE
        assert account.nickname == seller.nickname
        assert account.connected_by == "owner@a.example.com"
        assert account.access_expires_at is not None
        with connection.cursor() as cursor:
            cursor.execute("SELECT access_token || refresh_token FROM mercadolivre_mlaccount")
            (ciphertext,) = cursor.fetchone()
    assert "APP_USR" not in ciphertext
    assert "TG-" not in ciphertext
    assert MLAuthorization.objects.get().outcome == "connected"

    page = store_client(tenant_a, login=True).get(
        "/settings/mercado-livre/?connected=1", headers={"Accept-Language": "en"}
    )
    assert seller.nickname.encode() in page.content
    assert b"Connected. Peepers can now sync this account." in page.content


def test_the_sandbox_rejects_a_wrong_pkce_verifier(sandbox, tenant_a):
    from core import crypto

    url = start_connect(tenant_a)
    MLAuthorization.objects.update(code_verifier=crypto.encrypt("x" * 64))
    before = stored_state(tenant_a)

    response = callback(approve(url, seller_id=sandbox.sellers[0].id))

    assert response.status_code == 400
    assert b"refused the authorization" in response.content
    assert stored_state(tenant_a) == before
    assert MLAuthorization.objects.get().outcome == "failed"


def test_a_replayed_callback_is_refused(sandbox, tenant_a):
    params = approve(start_connect(tenant_a), seller_id=sandbox.sellers[0].id)
    assert callback(params).status_code == 302

    again = callback(params)

    assert again.status_code == 400
    assert b"already used" in again.content
    assert sandbox.token_requests("authorization_code") == 1


@pytest.mark.parametrize(
    ("mangle", "message"),
    [
        (lambda state: state[:-3] + "abc", b"altered"),
        (lambda state: "", b"no state"),
        (lambda state: "not-a-state", b"altered"),
    ],
)
def test_a_bad_state_is_refused_with_a_clear_page(sandbox, tenant_a, mangle, message):
    params = approve(start_connect(tenant_a), seller_id=sandbox.sellers[0].id)
    before = stored_state(tenant_a)

    response = callback({**params, "state": mangle(params["state"])})

    assert response.status_code == 400
    assert message in response.content
    assert stored_state(tenant_a) == before
    assert sandbox.token_requests("authorization_code") == 0


def test_an_expired_state_is_refused(sandbox, tenant_a):
    params = approve(start_connect(tenant_a), seller_id=sandbox.sellers[0].id)
    payload = signing.loads(params["state"], salt=STATE_SALT)

    class LongAgo(signing.TimestampSigner):
        def timestamp(self):
            return signing.b62_encode(int(time.time()) - 3600)

    old_state = LongAgo(salt=STATE_SALT).sign_object(payload, compress=True)
    response = callback({**params, "state": old_state})

    assert response.status_code == 400
    assert b"expired" in response.content


def test_a_seller_who_denies_access_gets_a_clear_page(sandbox, tenant_a):
    url = start_connect(tenant_a)
    state = parse_qs(urlsplit(url).query)["state"][0]

    response = callback({"error": "access_denied", "state": state})

    assert response.status_code == 400
    assert b"did not authorize" in response.content
    assert MLAuthorization.objects.get().outcome == "denied"


@pytest.mark.parametrize("code", ["", "   ", "x" * 600])
def test_missing_or_garbage_codes_are_refused(sandbox, tenant_a, code):
    params = approve(start_connect(tenant_a), seller_id=sandbox.sellers[0].id)
    before = stored_state(tenant_a)

    response = callback({**params, "code": code})

    assert response.status_code == 400
    assert stored_state(tenant_a) == before


def test_an_unknown_code_is_refused_by_mercado_livre(sandbox, tenant_a):
    params = approve(start_connect(tenant_a), seller_id=sandbox.sellers[0].id)

    response = callback({**params, "code": "TG-not-a-real-code"})

    assert response.status_code == 400
    assert b"refused the authorization" in response.content
    assert stored_state(tenant_a)["accounts"] == []


def test_the_token_endpoint_being_down_changes_nothing(sandbox, tenant_a):
    params = approve(start_connect(tenant_a), seller_id=sandbox.sellers[0].id)
    sandbox.faults(outage=True)

    response = callback(params)

    assert response.status_code == 400
    assert b"refused" in response.content or b"could not be reached" in response.content
    assert stored_state(tenant_a)["accounts"] == []
    assert MLConnection.objects.count() == 0


def test_an_account_connected_to_another_store_is_refused(sandbox, tenant_a, tenant_b):
    seller = sandbox.sellers[0]
    assert callback(approve(start_connect(tenant_a), seller_id=seller.id)).status_code == 302
    before_b = stored_state(tenant_b)

    response = callback(approve(start_connect(tenant_b), seller_id=seller.id))

    assert response.status_code == 400
    assert b"already connected to another Peepers store" in response.content
    assert stored_state(tenant_b) == before_b
    assert MLConnection.objects.get(ml_user_id=seller.id).tenant == tenant_a


def test_an_ml_user_a_store_was_created_for_cannot_connect_to_another_store(
    sandbox, tenant_a, tenant_b
):
    Tenant.objects.filter(pk=tenant_a.pk).update(ml_user_id=sandbox.sellers[0].id)

    response = callback(approve(start_connect(tenant_b), seller_id=sandbox.sellers[0].id))

    assert response.status_code == 400
    domain = tenant_a.owner_email.rpartition("@")[2]
    assert f"e-mail is at {domain}".encode() in response.content
    assert b"Write to support" in response.content
    assert MLConnection.objects.count() == 0


def test_disconnect_deletes_the_tokens_and_the_routing(sandbox, tenant_a):
    seller = sandbox.sellers[0]
    callback(approve(start_connect(tenant_a), seller_id=seller.id))

    response = store_client(tenant_a, login=True).post("/settings/mercado-livre/disconnect")

    assert response.status_code == 302
    with tenant_context(tenant_a):
        account = MLAccount.objects.get()
    assert account.status == MLAccountStatus.DISCONNECTED
    assert account.access_token == account.refresh_token == ""
    assert not MLConnection.objects.filter(ml_user_id=seller.id).exists()


def member_of(tenant):
    with tenant_context(tenant):
        return User.objects.create_user(
            "clerk@a.example.com", "a-long-password-22", role=Role.MEMBER
        )


def test_an_owners_disconnect_is_audited_naming_them(sandbox, tenant_a):
    seller = sandbox.sellers[0]
    callback(approve(start_connect(tenant_a), seller_id=seller.id))
    owner = owner_of(tenant_a)

    assert ml_disconnect(tenant=tenant_a, actor=owner) == 1

    event = AuditEvent.objects.get(action=AuditAction.ML_DISCONNECTED)
    assert (event.actor_kind, event.actor_id, event.actor_email) == (
        ActorKind.USER,
        str(owner.pk),
        owner.email,
    )
    assert event.tenant == tenant_a
    assert event.object_id == str(seller.id)


def test_a_system_disconnect_is_audited_under_its_name(sandbox, tenant_a):
    callback(approve(start_connect(tenant_a), seller_id=sandbox.sellers[0].id))

    assert ml_disconnect(tenant=tenant_a, actor=Actor.system("offboarding")) == 1

    event = AuditEvent.objects.get(action=AuditAction.ML_DISCONNECTED)
    assert (event.actor_kind, event.actor_id) == (ActorKind.SYSTEM, "offboarding")


def test_the_service_refuses_a_member_and_changes_nothing(sandbox, tenant_a):
    callback(approve(start_connect(tenant_a), seller_id=sandbox.sellers[0].id))
    before = stored_state(tenant_a)
    member = member_of(tenant_a)

    with pytest.raises(MLDisconnectNotAllowed):
        ml_disconnect(tenant=tenant_a, actor=member)

    assert stored_state(tenant_a) == before
    assert not AuditEvent.objects.filter(action=AuditAction.ML_DISCONNECTED).exists()


def test_a_member_posting_disconnect_is_sent_back_and_nothing_changes(sandbox, tenant_a):
    callback(approve(start_connect(tenant_a), seller_id=sandbox.sellers[0].id))
    before = stored_state(tenant_a)
    member_of(tenant_a)
    client = Client(HTTP_HOST="tenant-a.localhost")
    client.post("/login/", {"username": "clerk@a.example.com", "password": "a-long-password-22"})

    response = client.post("/settings/mercado-livre/disconnect", follow=True)

    assert response.redirect_chain == [("/settings/mercado-livre/", 302)]
    assert b"Only the store&#x27;s owner or an admin can disconnect" in response.content
    assert stored_state(tenant_a) == before
    assert not AuditEvent.objects.filter(action=AuditAction.ML_DISCONNECTED).exists()


def test_members_cannot_connect(sandbox, tenant_a):
    member_of(tenant_a)
    client = Client(HTTP_HOST="tenant-a.localhost")
    client.post("/login/", {"username": "clerk@a.example.com", "password": "a-long-password-22"})

    response = client.post("/settings/mercado-livre/connect")

    assert response.status_code == 302
    assert response["Location"] == "/settings/mercado-livre/"
    assert MLAuthorization.objects.count() == 0


def test_setup_oauth_prints_a_working_link_for_staff(sandbox, tenant_a):
    out = io.StringIO()
    call_command(
        "setup_oauth",
        "--tenant-id",
        str(tenant_a.public_id),
        "--redirect-uri",
        "http://localhost:8000/auth/callback",
        stdout=out,
        stderr=io.StringIO(),
    )
    url = out.getvalue().strip()

    assert callback(approve(url, seller_id=sandbox.sellers[2].id)).status_code == 302
    assert MLConnection.objects.get(ml_user_id=sandbox.sellers[2].id).tenant == tenant_a


def test_setup_oauth_refuses_an_unregistered_redirect_uri(tenant_a):
    with pytest.raises(CommandError, match=r"^--redirect-uri"):
        call_command(
            "setup_oauth",
            "--tenant-id",
            str(tenant_a.public_id),
            "--redirect-uri",
            "https://evil.example.com/cb",
        )
