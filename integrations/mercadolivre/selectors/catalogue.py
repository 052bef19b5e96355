"""A store's listings and the questions buyers ask on them."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet

from integrations.mercadolivre.models import MLItem, MLQuestion
from integrations.mercadolivre.search import items_search

UNANSWERED = "UNANSWERED"
ITEM_LIST_FIELDS = (
    "id",
    "account",
    "title",
    "price_cents",
    "currency",
    "available_quantity",
    "sold_quantity",
    "status",
    "permalink",
    "thumbnail",
    "sku",
    "last_updated",
)


@dataclass(frozen=True)
class ProductFilters:
    q: str = ""
    status: str = ""
    stock: str = ""  # "in" | "out" | ""
    sort: str = "recent"
    account_id: int | None = None  # one account's listings (its MLAccount pk); None: all


def products_filtered(
    *, filters: ProductFilters, fields: tuple[str, ...] = ITEM_LIST_FIELDS
) -> QuerySet[MLItem]:
    items = MLItem.objects.only(*fields)
    items = items_search(items, filters.q)
    if filters.account_id is not None:
        items = items.filter(account_id=filters.account_id)
    if filters.status:
        items = items.filter(status=filters.status)
    if filters.stock == "in":
        items = items.filter(available_quantity__gt=0)
    elif filters.stock == "out":
        items = items.filter(available_quantity__lte=0)
    return items


def products_by_id(*, ids: list[str]) -> dict[str, MLItem]:
    """Listings by id, with the list's columns (a page's rows once its keys are known)."""
    return MLItem.objects.only(*ITEM_LIST_FIELDS).in_bulk(ids)


def product_get(*, item_id: str) -> MLItem | None:
    """A listing with the account it belongs to."""
    return MLItem.objects.select_related("account").filter(pk=item_id).first()


def product_questions(*, item_id: str, limit: int = 20) -> list[MLQuestion]:
    return list(
        MLQuestion.objects.filter(item_id=item_id).defer("raw").order_by("-date_created")[:limit]
    )


QUESTION_LIST_FIELDS = (
    "id",
    "account",
    "item_id",
    "text",
    "status",
    "date_created",
    "answer_text",
    "answer_date",
)


def _of_account(questions: QuerySet[MLQuestion], account_id: int | None) -> QuerySet[MLQuestion]:
    return questions if account_id is None else questions.filter(account_id=account_id)


def questions_open(*, account_id: int | None = None) -> QuerySet[MLQuestion]:
    """Questions waiting for the seller's answer (of one account when ``account_id``, its
    MLAccount pk), with the list's columns."""
    questions = MLQuestion.objects.filter(status=UNANSWERED).only(*QUESTION_LIST_FIELDS)
    return _of_account(questions, account_id)


def questions_answered_latest(
    *, limit: int = 10, account_id: int | None = None
) -> list[MLQuestion]:
    questions = MLQuestion.objects.exclude(status=UNANSWERED).only(*QUESTION_LIST_FIELDS)
    return list(_of_account(questions, account_id).order_by("-date_created")[:limit])


def items_by_id(*, ids: set[str]) -> dict[str, MLItem]:
    """Title, link and picture of the listings ``ids`` (the questions' items)."""
    if not ids:
        return {}
    return {
        item.pk: item
        for item in MLItem.objects.filter(pk__in=ids).only("id", "title", "permalink", "thumbnail")
    }


def question_get(*, question_id: int) -> MLQuestion | None:
    return MLQuestion.objects.defer("raw").filter(pk=question_id).first()
