"""A 403 from ML is read by its body (ML's "Error 403" page); it never erases what we hold.

Only 404 means gone. Invalid scopes or a token of someone else ask the seller to connect again;
an inactive seller or pending data validation is the seller's to fix and is noted on the
account; a blocked application or a caller IP off the list is ours and opens an incident.
"""

from __future__ import annotations

import contextlib

import pytest
from django_tenants.utils import tenant_context

from core.metrics import metric_read
from integrations.mercadolivre.answers import AnswerRejected, ml_question_answer
from integrations.mercadolivre.client import MLClient
from integrations.mercadolivre.errors import (
    MLAccessRevoked,
    MLApplicationBlocked,
    MLForbidden,
    MLReconnectRequired,
    MLSellerRestricted,
)
from integrations.mercadolivre.inbox import notification_process
from integrations.mercadolivre.models import MLAccount, MLAccountStatus, MLQuestion
from integrations.mercadolivre.priorities import Priority
from integrations.mercadolivre.sync import ml_sync_incremental
from integrations.models import MLConnection, MLConnectionStatus, MLNotification
from operations.incidents.models import Incident
from tests.integrations.support import connect, connected_and_synced, notify, open_question
from tests.support.clients import store_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def store(sandbox, tenant_a, settings):
    settings.ML_RATE_LIMIT_PER_MINUTE = settings.ML_SELLER_RATE_LIMIT_PER_MINUTE = 100_000
    return tenant_a, connected_and_synced(sandbox, tenant_a)


def account(tenant) -> MLAccount:
    with tenant_context(tenant):
        return MLAccount.objects.get()


def refuse_questions(sandbox, cause: str) -> None:
    # Questions read by id (ids start 131…), not the search.
    sandbox.faults(forbidden=cause, forbidden_path_prefix="/questions/1")


def fetch(tenant, path: str):
    with tenant_context(tenant):
        return MLClient.for_current_store(priority=Priority.HIGH, retries=0).get(path)


@pytest.mark.parametrize(
    ("cause", "kind", "name"),
    [
        ("invalid_scopes", MLAccessRevoked, "invalid_scopes"),
        ("user_inactive", MLSellerRestricted, "seller_inactive"),
        ("pending_validation", MLSellerRestricted, "pending_validation"),
        ("application_blocked", MLApplicationBlocked, "application_blocked"),
        ("ip_not_allowed", MLApplicationBlocked, "ip_not_allowed"),
        ("forbidden", MLForbidden, "unknown"),
    ],
)
def test_each_documented_cause_becomes_its_error(store, sandbox, cause, kind, name):
    tenant, _ = store
    question = open_question(tenant)
    refuse_questions(sandbox, cause)

    with pytest.raises(MLForbidden) as raised:
        fetch(tenant, f"/questions/{question.pk}")

    assert type(raised.value) is kind
    assert raised.value.cause == name
    assert metric_read("ml_forbidden", minutes=1)[f"cause={name}"] >= 1


def test_invalid_scopes_ask_the_seller_to_connect_again(store, sandbox):
    tenant, seller_id = store
    question = open_question(tenant)
    refuse_questions(sandbox, "invalid_scopes")

    with pytest.raises(MLReconnectRequired):
        fetch(tenant, f"/questions/{question.pk}")

    assert account(tenant).status == MLAccountStatus.NEEDS_RECONNECTION
    assert "invalid_scopes" in account(tenant).last_error
    link = MLConnection.objects.get(ml_user_id=seller_id)
    assert link.status == MLConnectionStatus.NEEDS_RECONNECTION


def test_a_token_refused_even_for_its_own_user_asks_for_reconnection(store, sandbox):
    tenant, _ = store
    question = open_question(tenant)
    sandbox.faults(forbidden="access_denied")  # every path, /users/me included

    with pytest.raises(MLAccessRevoked):
        fetch(tenant, f"/questions/{question.pk}")

    assert account(tenant).status == MLAccountStatus.NEEDS_RECONNECTION


def test_another_sellers_resource_is_only_refused_the_account_stays_connected(
    store, sandbox, tenant_b
):
    tenant, _ = store
    connect(sandbox, tenant_b, seller_index=1)
    theirs = next(
        q for q in sandbox.server.state.dataset.questions.values() if q.seller_id != store[1]
    )

    with pytest.raises(MLForbidden) as raised:
        fetch(tenant, f"/questions/{theirs.id}")

    assert type(raised.value) is MLForbidden
    assert raised.value.cause == "not_owner"
    assert account(tenant).status == MLAccountStatus.ACTIVE


def test_a_client_asks_ml_whose_token_it_holds_once(store, sandbox, tenant_b):
    tenant, seller = store
    connect(sandbox, tenant_b, seller_index=1)
    theirs = [q for q in sandbox.server.state.dataset.questions.values() if q.seller_id != seller]
    key = "endpoint=/users/me,status=2xx,tenant=tenant-a"
    before = metric_read("ml_api_calls").get(key, 0)  # earlier tests share the minute

    with tenant_context(tenant):
        client = MLClient.for_current_store(priority=Priority.HIGH, retries=0)
        for question in theirs[:3]:
            with pytest.raises(MLForbidden) as raised:
                client.get(f"/questions/{question.id}")
            assert raised.value.cause == "not_owner"

    assert len(theirs) >= 3
    assert metric_read("ml_api_calls").get(key, 0) - before == 1
    assert account(tenant).status == MLAccountStatus.ACTIVE


def test_a_restricted_seller_is_noted_on_the_account_until_a_call_succeeds(store, sandbox):
    tenant, _ = store
    question = open_question(tenant)
    refuse_questions(sandbox, "pending_validation")

    with pytest.raises(MLSellerRestricted):
        fetch(tenant, f"/questions/{question.pk}")
    noted = account(tenant)
    assert noted.status == MLAccountStatus.ACTIVE
    assert "data validation" in noted.last_error

    sandbox.faults(forbidden=None)
    fetch(tenant, f"/questions/{question.pk}")
    assert account(tenant).last_error == ""


def test_the_settings_page_tells_the_seller_what_ml_refuses(store, sandbox):
    tenant, _ = store
    question = open_question(tenant)
    refuse_questions(sandbox, "user_inactive")
    with pytest.raises(MLSellerRestricted):
        fetch(tenant, f"/questions/{question.pk}")

    page = store_client(tenant, login=True).get(
        "/settings/mercado-livre/", headers={"Accept-Language": "en"}
    )

    assert page.status_code == 200
    assert b'id="ml-restricted"' in page.content
    assert b"inactive or suspended" in page.content


@pytest.mark.parametrize("cause", ["application_blocked", "ip_not_allowed"])
def test_our_application_refused_opens_one_incident(store, sandbox, cause):
    tenant, _ = store
    question = open_question(tenant)
    refuse_questions(sandbox, cause)

    for _ in range(2):
        with pytest.raises(MLApplicationBlocked):
            fetch(tenant, f"/questions/{question.pk}")

    incident = Incident.objects.get(key__startswith="ml-application-forbidden")
    assert incident.key.endswith(cause)
    assert incident.fire_count == 2
    assert account(tenant).status == MLAccountStatus.ACTIVE


@pytest.mark.parametrize(
    "cause", ["forbidden", "user_inactive", "ip_not_allowed", "invalid_scopes", "access_denied"]
)
def test_a_403_never_marks_stale_questions_deleted(store, sandbox, cause):
    tenant, _ = store
    with tenant_context(tenant):
        open_ids = set(MLQuestion.objects.filter(status="UNANSWERED").values_list("pk", flat=True))
    assert open_ids
    # ML no longer lists them as open, so the incremental sync reads each one by id.
    for question_id in open_ids:
        sandbox.server.state.dataset.questions[question_id].status = "ANSWERED"
    refuse_questions(sandbox, cause)

    # The account-wide causes stop the run; the data is what matters here.
    with contextlib.suppress(MLForbidden):
        ml_sync_incremental(tenant=tenant)

    with tenant_context(tenant):
        statuses = set(MLQuestion.objects.filter(pk__in=open_ids).values_list("status", flat=True))
    assert statuses == {"UNANSWERED"}


def test_404_still_means_gone(store, sandbox):
    tenant, _ = store
    question = open_question(tenant)
    del sandbox.server.state.dataset.questions[question.pk]

    ml_sync_incremental(tenant=tenant)

    with tenant_context(tenant):
        assert MLQuestion.objects.get(pk=question.pk).status == "DELETED"


def test_a_notification_refused_with_403_is_parked_and_the_question_kept(store, sandbox, clock):
    tenant, seller_id = store
    question = open_question(tenant)
    refuse_questions(sandbox, "user_inactive")

    row = notify(seller_id, question.pk)
    assert notification_process(notification_id=row.pk, clock=clock) == "dead"

    row = MLNotification.objects.get(pk=row.pk)
    assert "MLSellerRestricted" in row.last_error
    with tenant_context(tenant):
        assert MLQuestion.objects.get(pk=question.pk).status == "UNANSWERED"


def test_answering_while_the_seller_is_restricted_is_refused_and_the_question_kept(store, sandbox):
    tenant, _ = store
    question = open_question(tenant)
    sandbox.faults(forbidden="user_inactive", forbidden_path_prefix="/answers")

    with pytest.raises(AnswerRejected) as raised:
        ml_question_answer(tenant=tenant, question_id=question.pk, text="Temos.")

    assert "inactive" in raised.value.message
    with tenant_context(tenant):
        assert MLQuestion.objects.get(pk=question.pk).status == "UNANSWERED"


def test_answering_with_a_token_lacking_scopes_asks_for_reconnection(store, sandbox):
    tenant, _ = store
    question = open_question(tenant)
    sandbox.faults(forbidden="invalid_scopes", forbidden_path_prefix="/answers")

    with pytest.raises(MLReconnectRequired):
        ml_question_answer(tenant=tenant, question_id=question.pk, text="Temos.")

    assert account(tenant).status == MLAccountStatus.NEEDS_RECONNECTION
    with tenant_context(tenant):
        assert MLQuestion.objects.get(pk=question.pk).status == "UNANSWERED"
