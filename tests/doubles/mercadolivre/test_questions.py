"""Sandbox questions and answers: search, single question, POST /answers rules."""

from datetime import datetime

import pytest

from tests.doubles.mercadolivre.flows import FORBIDDEN, bearer


def _questions(api, tokens, **params):
    return api.get("/questions/search", params={"api_version": 4, **params}, headers=bearer(tokens))


def test_questions_search_shape(api, tokens_a, seller_a):
    body = _questions(api, tokens_a, seller_id=seller_a, limit=5).json()

    assert set(body) == {
        "total",
        "limit",
        "questions",
        "filters",
        "available_filters",
        "available_sorts",
    }
    assert body["total"] == 40
    assert body["limit"] == 5
    question = body["questions"][0]
    assert question["seller_id"] == seller_a
    assert question["status"] in {"ANSWERED", "UNANSWERED"}
    # gestiona-preguntas-respuestas, "Preguntas recibidas por un vendedor": the asker as
    # from{id}; no buyer_id, app_id or last_updated in the search.
    assert set(question) == {
        "id",
        "seller_id",
        "item_id",
        "text",
        "status",
        "date_created",
        "hold",
        "deleted_from_listing",
        "suspected_spam",
        "answer",
        "from",
    }
    assert set(question["from"]) == {"id"}
    answered = next(
        q
        for q in _questions(api, tokens_a, seller_id=seller_a, limit=40).json()["questions"]
        if q["status"] == "ANSWERED"
    )
    assert set(answered["answer"]) == {"text", "status", "date_created"}


def test_questions_search_filters(api, tokens_a, seller_a, seller_b):
    unanswered = _questions(api, tokens_a, seller_id=seller_a, status="UNANSWERED", limit=100)
    everything = _questions(api, tokens_a, seller_id=seller_a, limit=100).json()["questions"]
    item_id = everything[0]["item_id"]
    by_item = _questions(api, tokens_a, item=item_id).json()["questions"]
    oldest_first = _questions(
        api, tokens_a, seller_id=seller_a, sort_fields="date_created", sort_types="ASC", limit=100
    ).json()["questions"]

    assert {q["status"] for q in unanswered.json()["questions"]} == {"UNANSWERED"}
    assert by_item
    assert {q["item_id"] for q in by_item} == {item_id}
    created = [datetime.fromisoformat(q["date_created"]) for q in oldest_first]
    assert created == sorted(created)
    assert _questions(api, tokens_a, seller_id=seller_b).status_code == 403
    assert _questions(api, tokens_a, seller_id=seller_a, limit=101).status_code == 400


def test_question_get(api, tokens_a, tokens_b, seller_a):
    question = _questions(api, tokens_a, seller_id=seller_a, limit=1).json()["questions"][0]

    by_id = api.get(f"/questions/{question['id']}", headers=bearer(tokens_a)).json()

    # gestiona-preguntas-respuestas, "Preguntas por ID": buyer_id, app_id, last_updated and
    # no "from".
    assert set(by_id) == {
        "id",
        "seller_id",
        "buyer_id",
        "item_id",
        "deleted_from_listing",
        "suspected_spam",
        "status",
        "hold",
        "text",
        "app_id",
        "date_created",
        "last_updated",
        "answer",
    }
    assert by_id["buyer_id"] == question["from"]["id"]
    assert {key: by_id[key] for key in question if key != "from"} == {
        key: value for key, value in question.items() if key != "from"
    }
    assert api.get(f"/questions/{question['id']}", headers=bearer(tokens_b)).status_code == 403
    assert api.get("/questions/1", headers=bearer(tokens_a)).status_code == 404


def _unanswered(api, tokens, seller_id):
    body = _questions(api, tokens, seller_id=seller_id, status="UNANSWERED", limit=1).json()
    return body["questions"][0]


def test_answer_sets_the_answer(api, tokens_a, seller_a):
    question = _unanswered(api, tokens_a, seller_a)
    before = api.get(f"/questions/{question['id']}", headers=bearer(tokens_a)).json()

    response = api.post(
        "/answers",
        json={"question_id": question["id"], "text": "Sim, temos!"},
        headers=bearer(tokens_a),
    )

    assert response.status_code == 200
    answered = response.json()
    assert answered["status"] == "ANSWERED"
    assert answered["answer"]["text"] == "Sim, temos!"
    # Data values are upper case, as the docs' "BANNED" answer shows.
    assert answered["answer"]["status"] == "ACTIVE"
    assert answered["last_updated"] > before["last_updated"]
    again = api.post(
        "/answers",
        json={"question_id": question["id"], "text": "de novo"},
        headers=bearer(tokens_a),
    )
    assert again.status_code == 400
    assert again.json()["error"] == "question_already_answered"


@pytest.mark.parametrize(
    ("body", "status", "error"),
    [
        ({"text": "oi"}, 400, "invalid_post_body"),
        ({"question_id": "abc", "text": "oi"}, 400, "invalid_question"),
        ({"question_id": 1, "text": "oi"}, 404, "invalid_question"),
        ({"question_id": 1, "text": "x" * 2001}, 400, "invalid_text_length"),
        ([], 400, "invalid_post_body"),
    ],
)
def test_answer_validation(api, tokens_a, body, status, error):
    response = api.post("/answers", json=body, headers=bearer(tokens_a))

    assert response.status_code == status
    assert response.json()["error"] == error


def test_answering_another_sellers_question_is_403(api, tokens_a, tokens_b, seller_b):
    question = _unanswered(api, tokens_b, seller_b)

    response = api.post(
        "/answers", json={"question_id": question["id"], "text": "oi"}, headers=bearer(tokens_a)
    )

    assert response.json() == FORBIDDEN
