"""Who asked a question survives every path that reads it again.

``/questions/search`` names the asker as ``from: {id}``; ``GET /questions/{id}?api_version=4``
("Preguntas por ID") answers ``buyer_id`` and no ``from``. A webhook, a refresh or an answer
reads by id, and must neither lose the buyer nor the raw ``from`` the search stored.
"""

from __future__ import annotations

import pytest
from django_tenants.utils import tenant_context

from compliance.registry import Subject, SubjectKind, declarations
from integrations.mercadolivre.answers import ml_question_answer
from integrations.mercadolivre.inbox import notification_process
from integrations.mercadolivre.models import MLOrder, MLQuestion
from integrations.mercadolivre.upserts import orders_upsert, questions_upsert
from tests.integrations.support import connected_and_synced, notify, open_question

pytestmark = pytest.mark.django_db


@pytest.fixture
def store(sandbox, tenant_a, settings):
    """Store A connected to the first sandbox seller, its open questions synced (search)."""
    settings.ML_RATE_LIMIT_PER_MINUTE = settings.ML_SELLER_RATE_LIMIT_PER_MINUTE = 100_000
    return tenant_a, connected_and_synced(sandbox, tenant_a)


def test_the_search_stores_the_asker(store, sandbox):
    tenant, _ = store
    question = open_question(tenant)

    assert question.from_id == sandbox.server.state.dataset.questions[question.pk].buyer_id
    assert question.raw["from"] == {"id": question.from_id}


def test_a_notification_read_by_id_keeps_the_asker(store, sandbox, clock):
    tenant, seller_id = store
    question = open_question(tenant)
    sandbox.server.state.dataset.questions[question.pk].text = "Changed at ML"

    row = notify(seller_id, question.pk)
    assert notification_process(notification_id=row.pk, clock=clock) == "processed"

    with tenant_context(tenant):
        stored = MLQuestion.objects.get(pk=question.pk)
    assert stored.text == "Changed at ML"  # the by-id answer was written...
    assert stored.from_id == question.from_id  # ...and the buyer kept
    assert stored.raw["buyer_id"] == question.from_id
    assert stored.raw["from"] == {"id": question.from_id}


def test_a_question_first_seen_by_id_takes_its_buyer_from_buyer_id(store, sandbox, clock):
    tenant, seller_id = store
    question = open_question(tenant)
    with tenant_context(tenant):
        MLQuestion.objects.filter(pk=question.pk).delete()

    row = notify(seller_id, question.pk)
    assert notification_process(notification_id=row.pk, clock=clock) == "processed"

    with tenant_context(tenant):
        stored = MLQuestion.objects.get(pk=question.pk)
    assert stored.from_id == sandbox.server.state.dataset.questions[question.pk].buyer_id
    assert "from" not in stored.raw


def test_answering_keeps_the_asker_and_the_subject_request_finds_the_question(store, sandbox):
    tenant, _ = store
    question = open_question(tenant)

    answered = ml_question_answer(tenant=tenant, question_id=question.pk, text="Temos, sim.")

    assert answered.status == "ANSWERED"
    assert answered.answer_status == "ACTIVE"
    assert answered.from_id == question.from_id
    # The data-subject request finds the buyer's questions through the registry's locate.
    [declared] = [d for d in declarations() if d.model is MLQuestion]
    subject = Subject(kind=SubjectKind.BUYER, ml_user_id=question.from_id)
    with tenant_context(tenant):
        found = set(declared.locate(tenant, subject).values_list("pk", flat=True))
    assert question.pk in found


def test_a_missing_buyer_never_erases_a_known_one(store):
    tenant, _ = store
    question = open_question(tenant)
    body = dict(question.raw)
    body.pop("from")
    body["last_updated"] = "2030-01-01T00:00:00.000Z"

    with tenant_context(tenant):
        questions_upsert([body], account=question.account)
        stored = MLQuestion.objects.get(pk=question.pk)

    assert stored.from_id == question.from_id
    assert stored.last_updated.year == 2030


def test_a_partial_order_keeps_the_stored_buyer(store, sandbox):
    tenant, _ = store
    with tenant_context(tenant):
        order = MLOrder.objects.exclude(buyer_id=None).order_by("id").first()
        assert order is not None
        partial = dict(order.raw)
        partial.pop("buyer")  # a 206 names it in X-Content-Missing and leaves it out
        partial["date_last_updated"] = "2030-01-01T00:00:00.000Z"
        partial["status"] = "cancelled"

        orders_upsert([partial], account=order.account)
        stored = MLOrder.objects.get(pk=order.pk)

    assert stored.status == "cancelled"
    assert (stored.buyer_id, stored.buyer_nickname) == (order.buyer_id, order.buyer_nickname)
    assert stored.raw["buyer"] == order.raw["buyer"]
