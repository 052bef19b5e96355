"""Tokens: refreshed once for everyone, invalid_grant stops the account, keys rotate."""

import base64
import io
import secrets
import threading
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connections
from django.utils import timezone
from django_tenants.utils import tenant_context

from core import crypto
from core.metrics import metric_read
from integrations.mercadolivre.client import MLClient
from integrations.mercadolivre.errors import MLReconnectRequired
from integrations.mercadolivre.models import MLAccount, MLAccountStatus
from integrations.mercadolivre.notifications import ml_reconnect_email
from integrations.mercadolivre.priorities import Priority
from integrations.models import MLConnection
from tenants.models import Tenant
from tests.integrations.support import connect

pytestmark = pytest.mark.usefixtures("committed_db")


def tenant_a():
    return Tenant.objects.get(schema_name="tenant-a")


def expire_everywhere(sandbox, tenant):
    sandbox.expire_tokens()
    with tenant_context(tenant):
        MLAccount.objects.update(access_expires_at=timezone.now() - timedelta(seconds=1))


def test_fifty_callers_on_an_expired_token_cause_exactly_one_refresh(sandbox, settings):
    settings.ML_RATE_LIMIT_PER_MINUTE = settings.ML_SELLER_RATE_LIMIT_PER_MINUTE = 100_000
    tenant = tenant_a()
    seller_id = connect(sandbox, tenant)
    expire_everywhere(sandbox, tenant)
    barrier = threading.Barrier(50)
    results, errors = [], []

    def call():
        try:
            with tenant_context(tenant):
                client = MLClient.for_current_store(priority=Priority.HIGH)
                barrier.wait()
                results.append(client.get("/users/me").data["id"])
        except Exception as exc:  # collected, asserted below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=call) for _ in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert errors == []
    assert results == [seller_id] * 50
    assert sandbox.token_requests("refresh_token") == 1
    with tenant_context(tenant):
        account = MLAccount.objects.get()
    assert account.status == MLAccountStatus.ACTIVE
    assert account.access_expires_at > timezone.now() + timedelta(hours=5)
    assert metric_read("ml_token_refresh").get("outcome=success") == 1


def test_a_401_on_a_token_we_believed_valid_refreshes_once_and_retries(sandbox):
    tenant = tenant_a()
    seller_id = connect(sandbox, tenant)
    sandbox.expire_tokens()  # ML forgot it early (password change, revocation...)

    with tenant_context(tenant):
        response = MLClient.for_current_store(priority=Priority.HIGH).get("/users/me")

    assert response.data["id"] == seller_id
    assert sandbox.token_requests("refresh_token") == 1


def test_invalid_grant_marks_the_account_and_stops_calling(sandbox, mailoutbox):
    tenant = tenant_a()
    seller_id = connect(sandbox, tenant)
    sandbox.faults(revoke_refresh_tokens=True)
    expire_everywhere(sandbox, tenant)

    with tenant_context(tenant), pytest.raises(MLReconnectRequired):
        MLClient.for_current_store(priority=Priority.HIGH).get("/users/me")
    with tenant_context(tenant), pytest.raises(MLReconnectRequired):
        MLClient.for_current_store(priority=Priority.HIGH).get("/users/me")

    assert sandbox.token_requests("refresh_token") == 1  # no retry loop
    with tenant_context(tenant):
        account = MLAccount.objects.get()
        assert account.status == MLAccountStatus.NEEDS_RECONNECTION
        assert account.needs_reconnection_since is not None
        # ML's documented invalid_grant body says why in error_description, not message.
        assert account.last_error.startswith("Error validating grant.")
        sent = ml_reconnect_email.apply(args=[account.pk]).get()
    assert MLConnection.objects.get(ml_user_id=seller_id).status == "needs_reconnection"
    assert sent == 1
    assert mailoutbox[0].to == ["owner@a.example.com"]
    assert "settings/mercado-livre" in mailoutbox[0].body
    assert metric_read("ml_token_refresh").get("outcome=invalid_grant") == 1


def test_reconnecting_restores_an_account_that_needed_it(sandbox):
    tenant = tenant_a()
    connect(sandbox, tenant)
    sandbox.faults(revoke_refresh_tokens=True)
    expire_everywhere(sandbox, tenant)
    with tenant_context(tenant), pytest.raises(MLReconnectRequired):
        MLClient.for_current_store(priority=Priority.HIGH).get("/users/me")
    sandbox.faults(revoke_refresh_tokens=False)

    connect(sandbox, tenant)

    with tenant_context(tenant):
        assert MLAccount.objects.get().status == MLAccountStatus.ACTIVE
        assert MLClient.for_current_store(priority=Priority.HIGH).get("/users/me").status == 200
    assert MLConnection.objects.get().status == "active"


def test_key_rotation_round_trip(sandbox, settings):
    tenant = tenant_a()
    connect(sandbox, tenant)
    old = list(settings.FIELD_ENCRYPTION_KEYS)
    new = base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()
    settings.FIELD_ENCRYPTION_KEYS = [new, *old]

    out = io.StringIO()
    call_command("rotate_ml_keys", "--json", stdout=out, stderr=io.StringIO())
    again = io.StringIO()
    call_command("rotate_ml_keys", "--json", stdout=again, stderr=io.StringIO())

    assert '"rotated": 2' in out.getvalue()
    assert '"rotated": 0' in again.getvalue()
    assert '"current": 2' in again.getvalue()
    settings.FIELD_ENCRYPTION_KEYS = [new]  # the old key is gone; tokens still work
    with tenant_context(tenant):
        account = MLAccount.objects.get()
        assert crypto.is_current(account.access_token)
        assert MLClient.for_current_store(priority=Priority.HIGH).get("/users/me").status == 200
