"""Logins, failures and logouts are recorded on the public host (staff) and on store hosts."""

from django.test import Client
from django_tenants.utils import tenant_context

from compliance.audit.models import AuditAction, AuditEvent
from tests.compliance.audit.conftest import admin_login
from tests.factories.users import STAFF_EMAIL
from tests.support.clients import owner_of, store_client
from tests.support.db import OWNER_PASSWORD


def test_staff_login_on_the_public_host_is_recorded_with_address_and_agent(staff):
    client = Client(HTTP_HOST="localhost", REMOTE_ADDR="198.51.100.7", HTTP_USER_AGENT="Firefox/1")

    assert admin_login(client) == 302

    event = AuditEvent.objects.get(action=AuditAction.LOGIN_SUCCEEDED)
    assert (event.actor_kind, event.actor_id, event.actor_email) == (
        "staff",
        str(staff.pk),
        STAFF_EMAIL,
    )
    assert (event.ip_address, event.user_agent, event.host) == (
        "198.51.100.7",
        "Firefox/1",
        "localhost",
    )
    assert event.tenant is None
    assert event.occurred_at is not None


def test_failed_staff_login_is_recorded_with_the_claimed_address_and_no_password(staff):
    client = Client(HTTP_HOST="localhost", REMOTE_ADDR="203.0.113.9")

    assert admin_login(client, password="wrong-password-123") == 200

    event = AuditEvent.objects.get(action=AuditAction.LOGIN_FAILED)
    assert (event.actor_kind, event.actor_id, event.actor_email) == ("staff", "", STAFF_EMAIL)
    assert event.ip_address == "203.0.113.9"
    assert "wrong-password" not in str(event.details)
    assert not AuditEvent.objects.filter(action=AuditAction.LOGIN_SUCCEEDED).exists()


def test_store_login_is_recorded_for_that_store(tenant_a):
    client = store_client(tenant_a)

    response = client.post(
        "/login/",
        {"username": tenant_a.owner_email, "password": OWNER_PASSWORD},
        REMOTE_ADDR="192.0.2.44",
    )

    assert response.status_code == 302
    event = AuditEvent.objects.get(action=AuditAction.LOGIN_SUCCEEDED)
    assert (event.actor_kind, event.actor_email) == ("user", tenant_a.owner_email)
    assert event.actor_id == str(owner_of(tenant_a).pk)
    assert (event.tenant, event.tenant_public_id, event.tenant_schema) == (
        tenant_a,
        tenant_a.public_id,
        "tenant-a",
    )
    assert event.ip_address == "192.0.2.44"


def test_failed_store_login_is_recorded_for_that_store(tenant_b):
    response = store_client(tenant_b).post(
        "/login/", {"username": "nobody@b.example.com", "password": "nope-nope-nope"}
    )

    assert response.status_code == 200
    event = AuditEvent.objects.get(action=AuditAction.LOGIN_FAILED)
    assert (event.actor_kind, event.actor_email, event.tenant) == (
        "user",
        "nobody@b.example.com",
        tenant_b,
    )
    assert event.ip_address == "127.0.0.1"


def test_store_logout_is_recorded(tenant_a):
    client = store_client(tenant_a, login=True)

    client.post("/logout/")

    event = AuditEvent.objects.get(action=AuditAction.LOGOUT)
    assert (event.actor_email, event.tenant) == (tenant_a.owner_email, tenant_a)


def test_the_client_address_is_read_behind_the_trusted_proxies_only(staff, settings):
    settings.ML_WEBHOOK_TRUSTED_PROXIES = 1
    client = Client(
        HTTP_HOST="localhost",
        REMOTE_ADDR="10.0.0.2",  # the proxy
        HTTP_X_FORWARDED_FOR="6.6.6.6, 198.51.100.20",  # spoofed, then what the proxy saw
    )

    assert admin_login(client) == 302

    assert AuditEvent.objects.get(action=AuditAction.LOGIN_SUCCEEDED).ip_address == "198.51.100.20"


def test_a_login_without_a_real_request_is_recorded_too(staff):
    client = Client(HTTP_HOST="localhost")

    assert client.login(username=STAFF_EMAIL, password="a-long-staff-password-1")

    event = AuditEvent.objects.get(action=AuditAction.LOGIN_SUCCEEDED)
    assert (event.actor_kind, event.ip_address, event.host) == ("staff", None, "")


def test_a_login_in_a_stores_schema_outside_routing_is_that_stores(tenant_a):
    with tenant_context(tenant_a):
        assert Client().login(username=tenant_a.owner_email, password=OWNER_PASSWORD)

    event = AuditEvent.objects.get(action=AuditAction.LOGIN_SUCCEEDED)
    assert (event.actor_kind, event.actor_email, event.tenant) == (
        "user",
        tenant_a.owner_email,
        tenant_a,
    )
