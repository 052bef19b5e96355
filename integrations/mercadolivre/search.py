"""The listings search shared by the products page and ``/api/v1/items/?q=``.

A listing matches when every word typed begins a word of its title (so "cami azul" finds
"Camiseta Azul Nike"), or when the whole text is its ML item id or its SKU. Title words are
read from the ``mlitem_title_search`` GIN index, so a search costs what it finds, not the size
of the catalogue.
"""

from __future__ import annotations

import re

from django.contrib.postgres.search import SearchQuery
from django.db.models import Q, QuerySet

from integrations.mercadolivre.models import TITLE_SEARCH_VECTOR, MLItem

MAX_WORDS = 8
ML_ITEM_ID = re.compile(r"^[A-Za-z]{3}\d+$")
_WORD = re.compile(r"\w+")


def title_query(text: str) -> str:
    """``text``'s words as a prefix query (``cami:* & azul:*``); empty if it has none.

    Only word characters reach ``to_tsquery``, so nothing typed is read as its operators.
    """
    words = _WORD.findall(text.lower())[:MAX_WORDS]
    return " & ".join(f"{word}:*" for word in words)


def items_search(items: QuerySet[MLItem], text: str) -> QuerySet[MLItem]:
    """``items`` narrowed to the listings ``text`` finds (all of them for blank text)."""
    text = text.strip()
    if not text:
        return items
    match = Q(sku=text)
    if ML_ITEM_ID.match(text):
        match |= Q(pk=text.upper())
    query = title_query(text)
    if query:
        items = items.alias(
            title_words=TITLE_SEARCH_VECTOR,
        )
        match |= Q(title_words=SearchQuery(query, search_type="raw", config="simple"))
    return items.filter(match)
