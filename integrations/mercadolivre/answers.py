"""Answering a buyer's question from Peepers: ``POST /answers`` and the local copy refreshed.

Idempotent by state: a question already answered is refused with an error that says so (and
the local copy is refreshed from ML first), and a second answer racing the first waits on the
question's lock and then finds it answered. If ML says the question is answered and the
answer is the very text we sent, our own earlier attempt went through (a retried POST) and it
counts as success.

No transaction is open while ML is called: the lock is an advisory one (``core.db.locks``),
and every write (the local copy, a token refreshed on the way, an account marked for
reconnection) commits by itself, so no later error takes one back.
"""

from __future__ import annotations

from typing import Any

from django_tenants.utils import tenant_context

from core.db.locks import advisory_lock
from core.errors import DomainError
from integrations.mercadolivre.accounts import account_usable
from integrations.mercadolivre.client import MLClient
from integrations.mercadolivre.errors import (
    MLAccessRevoked,
    MLApplicationBlocked,
    MLBadRequest,
    MLForbidden,
    MLNotFound,
    MLSellerRestricted,
)
from integrations.mercadolivre.models import MLQuestion
from integrations.mercadolivre.priorities import Priority
from integrations.mercadolivre.upserts import questions_upsert
from tenants.models import Tenant

ANSWER_MAX_CHARS = 2000  # ML's limit for a question or an answer
UNANSWERED = "UNANSWERED"
ANSWERED = "ANSWERED"
# A seller is waiting on the page (or an integrator on the API call): one quick retry and a short
# wait for the rate limiter, not the background jobs' backoff of up to half a minute.
ANSWER_RETRIES = 1
ANSWER_MAX_WAIT_SECONDS = 5.0
# Longer than one answer can take (the budget's wait, two tries of ML's read timeout).
ANSWER_LOCK_WAIT_SECONDS = 40.0


class AnswerError(DomainError):
    """Base of the answering errors; ``message`` is written for the seller, ``code`` for code."""

    code = "answer_error"


class QuestionNotFound(AnswerError):
    """This store has no such question."""

    code = "not_found"


class AnswerInvalid(AnswerError):
    """The answer text is empty or too long; nothing was sent to ML."""

    code = "answer_invalid"


class QuestionAlreadyAnswered(AnswerError):
    """ML says the question has an answer already; ``question`` is the refreshed local copy."""

    code = "already_answered"

    def __init__(self, message: str, *, question: MLQuestion) -> None:
        super().__init__(message)
        self.question = question


class AnswerBusy(AnswerError):
    """Another answer to the same question is still being sent."""

    code = "answer_busy"


class AnswerRejected(AnswerError):
    """ML refused the answer (closed or banned question, a rule of ML's); ``message`` says why."""

    code = "answer_rejected"


def answer_text_clean(text: str) -> str:
    """The text as it will be sent, or ``AnswerInvalid`` explaining what is wrong with it."""
    cleaned = text.strip()
    if not cleaned:
        raise AnswerInvalid("The answer is empty.")
    if len(cleaned) > ANSWER_MAX_CHARS:
        raise AnswerInvalid(
            f"The answer has {len(cleaned)} characters; Mercado Livre accepts at most "
            f"{ANSWER_MAX_CHARS}."
        )
    return cleaned


def ml_question_answer(*, tenant: Tenant, question_id: int, text: str) -> MLQuestion:
    """Answer question ``question_id`` of ``tenant`` on ML with ``text``; the updated question."""
    cleaned = answer_text_clean(text)
    with tenant_context(tenant):
        # Held across the call to ML: a double click waits, then finds it answered.
        lock = f"ml-answer:{tenant.schema_name}:{question_id}"
        with advisory_lock(lock, wait_seconds=ANSWER_LOCK_WAIT_SECONDS) as held:
            if not held:
                raise AnswerBusy(
                    f"Another answer to question {question_id} is being sent; try again shortly."
                )
            result = _answer(question_id, cleaned)
        if isinstance(result, AnswerError):
            raise result
        return result


def _answer(question_id: int, text: str) -> MLQuestion | AnswerError:
    question = MLQuestion.objects.select_related("account").filter(pk=question_id).first()
    if question is None:
        return QuestionNotFound(f"This store has no question {question_id}.")
    # Answered as the account the question was asked of (refused, naming it, when that
    # account is paused or must be connected again).
    account = account_usable(question.account.ml_user_id if question.account else None)
    client = MLClient(
        account=account,
        priority=Priority.HIGH,
        retries=ANSWER_RETRIES,
        max_wait=ANSWER_MAX_WAIT_SECONDS,
    )
    if question.status != UNANSWERED:
        question = _refreshed(client, question_id)
        if question.status != UNANSWERED:
            return _not_answerable(question)
    try:
        response = client.post("/answers", {"question_id": question_id, "text": text})
    except (MLSellerRestricted, MLApplicationBlocked) as exc:
        # Nothing about this question: the account or our application is refused.
        return AnswerRejected(f"Mercado Livre refused the answer: {exc.message}")
    except MLAccessRevoked:
        raise  # the account is marked for reconnection already (committed on its own)
    except (MLBadRequest, MLForbidden, MLNotFound) as exc:
        question = _refreshed(client, question_id)
        if question.status == ANSWERED and question.answer_text == text:
            return question
        if question.status != UNANSWERED:
            return _not_answerable(question)
        return AnswerRejected(f"Mercado Livre refused the answer: {exc.message}")
    body: Any = response.data
    if isinstance(body, dict) and body.get("id") == question_id and body.get("status"):
        questions_upsert([body], account=account)
        return MLQuestion.objects.get(pk=question_id)
    # ML's answer did not carry the question: read it.
    return _refreshed(client, question_id)


def _refreshed(client: MLClient, question_id: int) -> MLQuestion:
    """The question as ML has it now, stored locally (marked deleted when ML has it no more).

    A 403 is not "gone": the stored copy stays as it was (``forbidden.py`` has already acted
    on the cause the body names).
    """
    account = client.account
    assert account is not None  # answers are always sent as an account
    try:
        body = client.get(f"/questions/{question_id}", {"api_version": 4}).data
    except MLNotFound:
        MLQuestion.objects.filter(pk=question_id).update(status="DELETED")
    except MLForbidden:
        pass
    else:
        if isinstance(body, dict) and body.get("id") == question_id:
            questions_upsert([body], account=account)
    return MLQuestion.objects.get(pk=question_id)


def _not_answerable(question: MLQuestion) -> AnswerError:
    if question.status == ANSWERED:
        return QuestionAlreadyAnswered(
            f"Question {question.pk} is already answered on Mercado Livre: "
            f"{question.answer_text!r}",
            question=question,
        )
    return AnswerRejected(
        f"Question {question.pk} cannot be answered: Mercado Livre shows it as "
        f"{question.status.lower().replace('_', ' ')}."
    )
