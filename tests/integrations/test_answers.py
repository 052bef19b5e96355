"""Answering a buyer's question: the service and POST /api/v1/questions/<id>/answer."""

from __future__ import annotations

import pytest
from django_tenants.utils import tenant_context

from doubles.mercadolivre.events import answer_post
from integrations.mercadolivre.answers import (
    ANSWER_MAX_CHARS,
    QuestionAlreadyAnswered,
    ml_question_answer,
)
from integrations.mercadolivre.models import MLQuestion
from integrations.mercadolivre.sync import ml_sync_initial
from tests.integrations.support import connect
from tests.support.clients import store_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def store(sandbox, tenant_a, settings):
    """Store A connected to the first sandbox seller, its open questions synced."""
    settings.ML_RATE_LIMIT_PER_MINUTE = settings.ML_SELLER_RATE_LIMIT_PER_MINUTE = 100_000
    connect(sandbox, tenant_a)
    ml_sync_initial(tenant=tenant_a)
    return tenant_a


@pytest.fixture
def question_id(store, sandbox):
    with tenant_context(store):
        question = MLQuestion.objects.filter(status="UNANSWERED").order_by("id").first()
    assert question is not None, "the sandbox seed gives the seller an unanswered question"
    return question.pk


def answers_posted(sandbox):
    return sandbox.server.state.requests["/answers"]


def answer_url(question_id):
    return f"/api/v1/questions/{question_id}/answer"


def test_answer_is_sent_to_ml_and_the_local_copy_updated(store, sandbox, question_id):
    response = store_client(store, login=True).post(
        answer_url(question_id),
        {"text": "  Sim, temos em estoque.  "},
        content_type="application/json",
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["id"] == question_id
    assert body["status"] == "ANSWERED"
    assert body["answer_text"] == "Sim, temos em estoque."
    at_ml = sandbox.server.state.dataset.questions[question_id]
    assert at_ml.status == "ANSWERED"
    assert at_ml.answer.text == "Sim, temos em estoque."
    with tenant_context(store):
        local = MLQuestion.objects.get(pk=question_id)
    assert local.status == "ANSWERED"
    assert local.answer_text == "Sim, temos em estoque."
    assert local.answer_date is not None
    assert local.raw["answer"]["text"] == "Sim, temos em estoque."


def test_the_route_also_takes_a_trailing_slash(store, question_id):
    response = store_client(store, login=True).post(
        answer_url(question_id) + "/", {"text": "Sim."}, content_type="application/json"
    )
    assert response.status_code == 200, response.content


def test_too_long_an_answer_is_refused_before_calling_ml(store, sandbox, question_id):
    response = store_client(store, login=True).post(
        answer_url(question_id),
        {"text": "x" * (ANSWER_MAX_CHARS + 1)},
        content_type="application/json",
    )

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "answer_invalid"
    assert "at most 2000" in response.json()["error"]["message"]
    assert answers_posted(sandbox) == 0


@pytest.mark.parametrize("payload", [{"text": "   "}, {}, {"text": ["a list"]}])
def test_an_empty_or_missing_text_is_400(store, sandbox, question_id, payload):
    response = store_client(store, login=True).post(
        answer_url(question_id), payload, content_type="application/json"
    )
    assert response.status_code == 400
    assert answers_posted(sandbox) == 0


def test_answering_twice_says_it_is_already_answered(store, sandbox, question_id):
    client = store_client(store, login=True)
    first = client.post(answer_url(question_id), {"text": "Sim."}, content_type="application/json")
    second = client.post(answer_url(question_id), {"text": "Não."}, content_type="application/json")

    assert first.status_code == 200
    assert second.status_code == 409  # a conflict with the question's state, not bad input
    assert second.json()["error"]["code"] == "already_answered"
    assert "already answered" in second.json()["error"]["message"]
    assert answers_posted(sandbox) == 1  # known locally: ML was only asked to refresh it
    assert sandbox.server.state.dataset.questions[question_id].answer.text == "Sim."


def test_answered_elsewhere_is_an_error_and_the_local_copy_is_refreshed(
    store, sandbox, question_id
):
    seller_id = sandbox.sellers[0].id
    answer_post(
        sandbox.server.state,
        seller_id=seller_id,
        body={"question_id": question_id, "text": "Respondida no site."},
    )

    with pytest.raises(QuestionAlreadyAnswered, match="already answered") as raised:
        ml_question_answer(tenant=store, question_id=question_id, text="Sim.")

    assert raised.value.question.answer_text == "Respondida no site."
    with tenant_context(store):
        local = MLQuestion.objects.get(pk=question_id)
    assert local.status == "ANSWERED"
    assert local.answer_text == "Respondida no site."


def test_our_own_answer_that_already_reached_ml_counts_as_success(store, sandbox, question_id):
    """A POST that reached ML but whose reply was lost, sent again: not an error."""
    answer_post(
        sandbox.server.state,
        seller_id=sandbox.sellers[0].id,
        body={"question_id": question_id, "text": "Sim."},
    )

    question = ml_question_answer(tenant=store, question_id=question_id, text="Sim.")

    assert question.status == "ANSWERED"
    assert question.answer_text == "Sim."


def test_another_stores_question_is_404(store, sandbox, tenant_b, question_id):
    connect(sandbox, tenant_b, seller_index=1)

    response = store_client(tenant_b, login=True).post(
        answer_url(question_id), {"text": "Sim."}, content_type="application/json"
    )

    assert response.status_code == 404
    assert answers_posted(sandbox) == 0


def test_an_unknown_question_is_404(store, sandbox):
    response = store_client(store, login=True).post(
        answer_url(999), {"text": "Sim."}, content_type="application/json"
    )
    assert response.status_code == 404
    assert answers_posted(sandbox) == 0


def test_an_anonymous_request_is_refused(store, sandbox, question_id):
    response = store_client(store).post(
        answer_url(question_id), {"text": "Sim."}, content_type="application/json"
    )
    assert response.status_code == 401  # the API asks for credentials (Bearer or session)
    assert answers_posted(sandbox) == 0


def test_the_public_host_does_not_serve_the_route(store, question_id):
    from django.test import Client

    response = Client(HTTP_HOST="localhost").post(
        answer_url(question_id), {"text": "Sim."}, content_type="application/json"
    )
    assert response.status_code == 404
