"""POST /api/v1/questions/{id}/answer/ against the ML sandbox, and how its failures map."""

from __future__ import annotations

import pytest
from django_tenants.utils import tenant_context

from doubles.mercadolivre.events import answer_post
from integrations.mercadolivre.models import MLAccount, MLQuestion
from integrations.mercadolivre.sync import ml_sync_initial
from tests.api.conftest import api_client, make_questions
from tests.integrations.support import connect

pytestmark = pytest.mark.django_db


@pytest.fixture
def store(sandbox, tenant_a, settings):
    """Store A connected to the first sandbox seller, its open questions synced."""
    settings.ML_RATE_LIMIT_PER_MINUTE = settings.ML_SELLER_RATE_LIMIT_PER_MINUTE = 100_000
    connect(sandbox, tenant_a)
    ml_sync_initial(tenant=tenant_a)
    return tenant_a


@pytest.fixture
def question_id(store):
    with tenant_context(store):
        question = MLQuestion.objects.filter(status="UNANSWERED").order_by("id").first()
    assert question is not None, "the sandbox seed gives the seller an unanswered question"
    return question.pk


def answer(client, question_id, text, *, slash=True):
    path = f"/api/v1/questions/{question_id}/answer{'/' if slash else ''}"
    return client.post(path, {"text": text}, content_type="application/json")


def posted(sandbox):
    return sandbox.server.state.requests["/answers"]


def test_the_answer_reaches_ml_and_comes_back(store, sandbox, question_id, token_a):
    response = answer(api_client(store, token_a), question_id, "Sim, temos em estoque.")

    assert response.status_code == 200, response.content
    assert response.json()["status"] == "ANSWERED"
    assert response.json()["answer_text"] == "Sim, temos em estoque."
    assert sandbox.server.state.dataset.questions[question_id].answer.text == (
        "Sim, temos em estoque."
    )
    listed = api_client(store, token_a).get("/api/v1/questions/?answered=true").json()
    assert question_id in {row["id"] for row in listed["results"]}


def test_the_route_without_the_trailing_slash_still_answers(store, question_id, token_a):
    response = answer(api_client(store, token_a), question_id, "Sim.", slash=False)
    assert response.status_code == 200, response.content


def test_answering_twice_is_409_with_the_answer_ml_has(store, sandbox, question_id, token_a):
    client = api_client(store, token_a)
    assert answer(client, question_id, "Sim.").status_code == 200
    second = answer(client, question_id, "Não.")

    assert second.status_code == 409
    error = second.json()["error"]
    assert error["code"] == "already_answered"
    assert error["details"]["question"]["answer_text"] == "Sim."
    assert posted(sandbox) == 1


def test_answered_on_ml_meanwhile_is_409_and_refreshes_the_copy(
    store, sandbox, question_id, token_a
):
    answer_post(
        sandbox.server.state,
        seller_id=sandbox.sellers[0].id,
        body={"question_id": question_id, "text": "Respondida no site."},
    )
    response = answer(api_client(store, token_a), question_id, "Sim.")
    assert response.status_code == 409
    with tenant_context(store):
        assert MLQuestion.objects.get(pk=question_id).answer_text == "Respondida no site."


@pytest.mark.parametrize("text", ["   ", "x" * 2001])
def test_invalid_text_is_400_and_ml_is_not_called(store, sandbox, question_id, token_a, text):
    response = answer(api_client(store, token_a), question_id, text)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "answer_invalid"
    assert posted(sandbox) == 0


def test_a_missing_text_is_a_validation_error(store, sandbox, question_id, token_a):
    response = api_client(store, token_a).post(
        f"/api/v1/questions/{question_id}/answer/", {}, content_type="application/json"
    )
    assert response.status_code == 400
    assert "text" in response.json()["error"]["details"]["fields"]


def test_ml_down_is_502_and_nothing_is_answered(store, sandbox, question_id, token_a):
    sandbox.faults(outage=True)
    response = answer(api_client(store, token_a), question_id, "Sim.")
    assert response.status_code == 502
    assert response.json()["error"]["code"] == "ml_unavailable"
    with tenant_context(store):
        assert MLQuestion.objects.get(pk=question_id).status == "UNANSWERED"


def test_a_store_without_ml_connection_is_409(tenant_a, token_a):
    question_id = make_questions(tenant_a, 1)[0]
    with tenant_context(tenant_a):
        assert not MLAccount.objects.exists()
    response = answer(api_client(tenant_a, token_a), question_id, "Sim.")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "reconnect_required"
