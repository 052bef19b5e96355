"""A seller's ML connection is never lost to our own failures: refreshes survive rollbacks, a
401 storm costs one refresh, and tokens are refreshed ahead of expiry by the schedule."""

import ast
import signal
import subprocess
import sys
import threading
from datetime import timedelta

import pytest
from django.conf import settings
from django.db import connections, transaction
from django.utils import timezone
from django_tenants.utils import tenant_context

from compliance.audit.models import ActorKind
from compliance.audit.services import Actor
from core import crypto
from integrations.mercadolivre.answers import ml_question_answer
from integrations.mercadolivre.client import MLClient
from integrations.mercadolivre.errors import (
    MLNotConnected,
    MLRateLimited,
    MLReconnectRequired,
    MLUnavailable,
)
from integrations.mercadolivre.models import MLAccount, MLAccountStatus
from integrations.mercadolivre.priorities import Priority
from integrations.mercadolivre.services import ml_disconnect
from integrations.mercadolivre.tasks import ml_token_refresh, ml_tokens_due
from integrations.mercadolivre.tokens import REFRESH_AHEAD, REFRESH_MARGIN, access_token_for
from integrations.models import MLConnection
from operations.incidents.models import Incident
from tenants.models import Tenant
from tests.integrations.support import connect, connected_and_synced, open_question
from tests.support.processes import child_environment, queued_messages

pytestmark = pytest.mark.usefixtures("committed_db")


def store(slug="tenant-a"):
    return Tenant.objects.get(schema_name=slug)


def account_of(tenant):
    with tenant_context(tenant):
        return MLAccount.objects.get()


def expire_everywhere(sandbox, tenant):
    sandbox.expire_tokens()
    with tenant_context(tenant):
        MLAccount.objects.update(access_expires_at=timezone.now() - timedelta(seconds=1))


def still_connected(sandbox, tenant):
    """The stored pair still works: a second refresh (the stored refresh token) succeeds."""
    expire_everywhere(sandbox, tenant)
    with tenant_context(tenant):
        return MLClient.for_current_store(priority=Priority.HIGH).get("/users/me").status == 200


def test_a_refresh_inside_a_transaction_that_rolls_back_keeps_the_new_pair(sandbox):
    tenant = store()
    connect(sandbox, tenant)
    before = account_of(tenant)
    expire_everywhere(sandbox, tenant)

    def service_that_fails_after_calling_ml():
        with tenant_context(tenant), transaction.atomic():
            MLClient.for_current_store(priority=Priority.HIGH).get("/users/me")
            raise RuntimeError("the service failed after its ML call")

    with pytest.raises(RuntimeError):
        service_that_fails_after_calling_ml()

    after = account_of(tenant)
    assert sandbox.token_requests("refresh_token") == 1
    assert crypto.decrypt(after.refresh_token) != crypto.decrypt(before.refresh_token)
    assert after.refresh_started_at is None
    assert still_connected(sandbox, tenant)
    assert account_of(tenant).status == MLAccountStatus.ACTIVE
    assert sandbox.token_requests("refresh_token") == 2


def test_answering_keeps_a_refresh_when_ml_then_refuses_the_answer(sandbox):
    tenant = store()
    connected_and_synced(sandbox, tenant)
    question = open_question(tenant)
    before = account_of(tenant)
    expire_everywhere(sandbox, tenant)
    # The refresh is let through; the answer (and its one retry) meet ML's 429.
    sandbox.faults(quota_per_minute=1, retry_after=1)

    with pytest.raises(MLRateLimited):
        ml_question_answer(tenant=tenant, question_id=question.pk, text="Temos, sim.")

    sandbox.faults(quota_per_minute=None)
    assert sandbox.token_requests("refresh_token") == 1
    after = account_of(tenant)
    assert crypto.decrypt(after.refresh_token) != crypto.decrypt(before.refresh_token)
    assert still_connected(sandbox, tenant)
    assert account_of(tenant).status == MLAccountStatus.ACTIVE


def test_a_401_storm_of_a_hundred_callers_costs_one_refresh_and_no_budget(sandbox, settings):
    """ML expired the token early: every caller meets a 401, one refresh serves them all, and
    their retries do not draw again on a seller budget that fits one call each."""
    settings.ML_RATE_LIMIT_PER_MINUTE = 100_000
    # 1200/min at the 80 % target: a burst of 160 calls, of which HIGH may use 80 % (128): room
    # for 100 callers, not for 200 calls.
    settings.ML_SELLER_RATE_LIMIT_PER_MINUTE = 1200
    tenant = store()
    seller_id = connect(sandbox, tenant)
    sandbox.expire_tokens()  # ML forgot it; we still believe it valid
    callers = 100
    barrier = threading.Barrier(callers)
    results, errors = [], []

    def call():
        try:
            with tenant_context(tenant):
                client = MLClient.for_current_store(priority=Priority.HIGH, max_wait=0.0)
                barrier.wait()
                results.append(client.get("/users/me").data["id"])
        except Exception as exc:  # collected, asserted below
            errors.append(exc)
        finally:
            connections.close_all()

    before = sandbox.server.state.requests["/users"]
    threads = [threading.Thread(target=call) for _ in range(callers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert errors == []
    assert results == [seller_id] * callers
    assert sandbox.token_requests("refresh_token") == 1
    assert sandbox.server.state.requests["/users"] - before <= 2 * callers


def queued_refreshes():
    """The ``ml_token_refresh`` messages waiting in the broker: (schema, ml user id) pairs."""
    return [
        (headers["_schema_name"], ast.literal_eval(headers["argsrepr"])[0])
        for headers in queued_messages()
        if headers["task"] == "integrations.ml_token_refresh"
    ]


def test_the_schedule_refreshes_a_token_ahead_of_expiry_and_calls_leave_it_alone(sandbox):
    tenant_a, tenant_b = store("tenant-a"), store("tenant-b")
    seller_a = connect(sandbox, tenant_a, seller_index=0)
    connect(sandbox, tenant_b, seller_index=1)
    soon = timezone.now() + REFRESH_AHEAD - timedelta(minutes=5)
    assert soon > timezone.now() + REFRESH_MARGIN
    with tenant_context(tenant_a):
        MLAccount.objects.update(access_expires_at=soon)
    MLConnection.objects.filter(ml_user_id=seller_a).update(token_expires_at=soon)

    # A call within REFRESH_AHEAD but outside REFRESH_MARGIN uses the stored token: the
    # refresh is the schedule's.
    with tenant_context(tenant_a):
        access_token_for(account=MLAccount.objects.get())
    assert sandbox.token_requests("refresh_token") == 0

    assert ml_tokens_due() == 1
    assert ml_tokens_due() == 0  # queued once while it waits
    assert queued_refreshes() == [("tenant-a", seller_a)]

    with tenant_context(tenant_a):
        assert ml_token_refresh(seller_a) == "refreshed"
        assert ml_token_refresh(seller_a) == "not_due"
    assert sandbox.token_requests("refresh_token") == 1
    expires = account_of(tenant_a).access_expires_at
    assert expires > timezone.now() + timedelta(hours=5)
    assert MLConnection.objects.get(ml_user_id=seller_a).token_expires_at == expires


def test_the_schedule_learns_an_expiry_the_index_does_not_know(sandbox):
    tenant = store()
    seller_id = connect(sandbox, tenant)
    MLConnection.objects.filter(ml_user_id=seller_id).update(token_expires_at=None)

    assert ml_tokens_due() == 1
    with tenant_context(tenant):
        assert ml_token_refresh(seller_id) == "not_due"

    assert sandbox.token_requests("refresh_token") == 0
    link = MLConnection.objects.get(ml_user_id=seller_id)
    assert link.token_expires_at == account_of(tenant).access_expires_at
    assert ml_tokens_due() == 0


def test_invalid_grant_after_an_interrupted_refresh_is_recorded_as_such(sandbox):
    tenant = store()
    connect(sandbox, tenant)
    started = timezone.now() - timedelta(minutes=3)
    # What a refresher killed after sending leaves behind: its marker, and a spent token.
    with tenant_context(tenant):
        MLAccount.objects.update(refresh_started_at=started)
    sandbox.faults(revoke_refresh_tokens=True)
    expire_everywhere(sandbox, tenant)

    with tenant_context(tenant), pytest.raises(MLReconnectRequired):
        MLClient.for_current_store(priority=Priority.HIGH).get("/users/me")

    account = account_of(tenant)
    assert account.status == MLAccountStatus.NEEDS_RECONNECTION
    assert account.refresh_started_at is None
    assert account.last_error.startswith(
        f"A token refresh started {started:%Y-%m-%d %H:%M:%S} UTC was interrupted"
    )
    assert Incident.objects.filter(key__startswith="ml-refresh-interrupted:tenant-a:").count() == 1


def test_a_refresh_after_an_interruption_that_never_reached_ml_just_succeeds(sandbox):
    tenant = store()
    connect(sandbox, tenant)
    with tenant_context(tenant):
        MLAccount.objects.update(refresh_started_at=timezone.now() - timedelta(minutes=3))
    expire_everywhere(sandbox, tenant)

    with tenant_context(tenant):
        assert MLClient.for_current_store(priority=Priority.HIGH).get("/users/me").status == 200

    account = account_of(tenant)
    assert account.status == MLAccountStatus.ACTIVE
    assert account.refresh_started_at is None
    assert account.last_error == ""
    assert not Incident.objects.filter(key__startswith="ml-refresh-interrupted:").exists()


def test_a_refresh_ml_refused_leaves_no_marker_and_a_5xx_keeps_it(sandbox):
    tenant = store()
    connect(sandbox, tenant)
    expire_everywhere(sandbox, tenant)

    sandbox.faults(rate_limit_fraction=1.0, retry_after=1)
    with tenant_context(tenant), pytest.raises(MLRateLimited):
        access_token_for(account=MLAccount.objects.get())
    assert account_of(tenant).refresh_started_at is None  # ML refused: nothing was spent

    sandbox.faults(rate_limit_fraction=0.0, error_fraction=1.0)
    with tenant_context(tenant), pytest.raises(MLUnavailable):
        access_token_for(account=MLAccount.objects.get())
    sandbox.faults(error_fraction=0.0)
    # A 5xx may come from behind the rotation: a later invalid_grant will say so.
    assert account_of(tenant).refresh_started_at is not None


def test_a_seller_who_disconnects_while_ml_answers_a_refresh_stays_disconnected(sandbox):
    tenant = store()
    connect(sandbox, tenant)
    expire_everywhere(sandbox, tenant)
    sandbox.hold_token_answers()
    outcome = []

    def refresh():
        try:
            with tenant_context(tenant):
                outcome.append(access_token_for(account=MLAccount.objects.get()))
        except Exception as exc:  # asserted below
            outcome.append(exc)
        finally:
            connections.close_all()

    refresher = threading.Thread(target=refresh)
    refresher.start()
    sandbox.held_token_answers_wait(1)
    ml_disconnect(tenant=tenant, actor=Actor(kind=ActorKind.SYSTEM, id="test", email=""))
    sandbox.release_token_answers()
    refresher.join(30)

    assert isinstance(outcome[0], MLNotConnected)
    account = account_of(tenant)
    assert account.status == MLAccountStatus.DISCONNECTED
    assert account.access_token == account.refresh_token == ""


REFRESHER = """
import django
django.setup()
from django_tenants.utils import schema_context
from integrations.mercadolivre.models import MLAccount
from integrations.mercadolivre.tokens import token_refresh
with schema_context("tenant-a"):
    token_refresh(account_id=MLAccount.objects.get().pk, rejected_token=None)
"""


def test_a_refresher_killed_after_ml_rotated_leaves_an_incident_naming_the_interruption(sandbox):
    tenant = store()
    seller_id = connect(sandbox, tenant)
    expire_everywhere(sandbox, tenant)
    sandbox.hold_token_answers()  # ML rotates on receipt; its answer waits
    refresher = subprocess.Popen(
        [sys.executable, "-c", REFRESHER],
        cwd=settings.BASE_DIR,
        env=child_environment(
            DJANGO_SETTINGS_MODULE="peepers.settings", ML_API_BASE=sandbox.server.url
        ),
    )
    try:
        sandbox.held_token_answers_wait(1, timeout=60)
        # The marker was committed before the request left.
        assert account_of(tenant).refresh_started_at is not None
    finally:
        refresher.send_signal(signal.SIGKILL)
        refresher.wait(timeout=30)
    sandbox.release_token_answers()  # to a dead socket
    sandbox.hold_token_answers(on=False)
    assert sandbox.token_requests("refresh_token") == 1

    with tenant_context(tenant), pytest.raises(MLReconnectRequired):
        MLClient.for_current_store(priority=Priority.HIGH).get("/users/me")

    account = account_of(tenant)
    assert account.status == MLAccountStatus.NEEDS_RECONNECTION
    assert "was interrupted before its answer was stored" in account.last_error
    incident = Incident.objects.get(key=f"ml-refresh-interrupted:tenant-a:{seller_id}")
    assert incident.tenant == tenant
    assert "interrupted" in incident.title
    assert "not because the seller revoked" in incident.title
