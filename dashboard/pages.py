"""What each list page shows: the Mercado Livre selectors' rows, one keyset page at a time."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from core.paging import Page, Sort, keyset_page
from integrations.mercadolivre.models import MLItem, MLOrder, MLQuestion
from integrations.mercadolivre.selectors.catalogue import (
    ProductFilters,
    items_by_id,
    products_by_id,
    products_filtered,
    questions_answered_latest,
    questions_open,
)
from integrations.mercadolivre.selectors.orders import (
    ORDER_LIST_FIELDS,
    OrderFilters,
    orders_filtered,
)

PAGE_SIZE = 50

PRODUCT_SORTS: dict[str, Sort] = {
    "recent": Sort("last_updated", descending=True),
    "title": Sort("title"),
    "price_asc": Sort("price_cents"),
    "price_desc": Sort("price_cents", descending=True),
    "stock": Sort("available_quantity"),
    "sold": Sort("sold_quantity", descending=True),
}
ORDER_SORT = Sort("date_created", descending=True)
QUESTION_SORT = Sort("date_created", descending=True)


def product_page(
    *, filters: ProductFilters, cursor: str = "", size: int = PAGE_SIZE
) -> Page[MLItem]:
    """The page's keys first, then its rows by key.

    The keys' query reads only what ``mlitem_recent_cover`` holds (title, SKU, status, stock,
    the default order), so a search that matches few titles scans that index instead of the
    table; the rows' query then reads 50 rows by primary key.
    """
    sort = PRODUCT_SORTS.get(filters.sort, PRODUCT_SORTS["recent"])
    keys = products_filtered(filters=filters, fields=("id", sort.field))
    page = keyset_page(keys, sort=sort, cursor=cursor, size=size)
    rows = products_by_id(ids=[row.pk for row in page.rows])
    return replace(page, rows=[rows[row.pk] for row in page.rows if row.pk in rows])


def order_page(*, filters: OrderFilters, cursor: str = "", size: int = PAGE_SIZE) -> Page[MLOrder]:
    orders = orders_filtered(filters=filters).only(*ORDER_LIST_FIELDS)
    return keyset_page(orders, sort=ORDER_SORT, cursor=cursor, size=size)


@dataclass(frozen=True)
class QuestionsView:
    open: Page[MLQuestion]
    answered: list[MLQuestion]
    items: dict[str, MLItem] = field(default_factory=dict)


def questions_view(
    *,
    cursor: str = "",
    size: int = PAGE_SIZE,
    answered: int = 10,
    account_id: int | None = None,
) -> QuestionsView:
    """Unanswered questions (newest first, paginated), then the latest answered ones; of one
    account when ``account_id`` (its MLAccount pk)."""
    open_page = keyset_page(
        questions_open(account_id=account_id), sort=QUESTION_SORT, cursor=cursor, size=size
    )
    recent = questions_answered_latest(limit=answered, account_id=account_id)
    return QuestionsView(
        open=open_page,
        answered=recent,
        items=items_by_id(ids={q.item_id for q in [*open_page.rows, *recent]}),
    )
