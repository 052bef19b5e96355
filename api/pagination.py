"""Keyset ("cursor") pagination over a whitelisted ordering with the primary key as tie-break.

A page is one indexed range query of ``page_size + 1`` rows whatever the table's size or the
page's depth: no COUNT, no OFFSET (``core.paging``, which the seller's lists use too). The cursor
is opaque to clients and checked before use, so a tampered cursor is a 400, never a database
error.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db.models import QuerySet
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import BasePagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param

from core.paging import CursorInvalid, Sort, keyset_page

if TYPE_CHECKING:
    from rest_framework.views import APIView

CURSOR_PARAM = "cursor"
ORDERING_PARAM = "ordering"
PAGE_SIZE_PARAM = "page_size"
PAGE_SIZE = 50
MAX_PAGE_SIZE = 200


@dataclass(frozen=True)
class Ordering:
    name: str  # as the client writes it, without the sign
    field: str  # the model field
    descending: bool

    @property
    def token(self) -> str:
        return f"-{self.name}" if self.descending else self.name


class KeysetPagination(BasePagination):
    """Views declare ``ordering_fields`` (public name → model field, non-null fields only) and
    ``default_ordering`` (e.g. ``"-last_updated"``)."""

    page_size = PAGE_SIZE

    def __init__(self) -> None:
        self.request: Request | None = None
        self.next_cursor: str | None = None
        self.previous_cursor: str | None = None

    # -- parsing ----------------------------------------------------------------------------
    @staticmethod
    def orderings_of(view: APIView) -> dict[str, str]:
        return dict(getattr(view, "ordering_fields", {}))

    def ordering(self, request: Request, view: APIView) -> Ordering:
        allowed = self.orderings_of(view)
        wanted = request.query_params.get(ORDERING_PARAM) or str(view.default_ordering)  # type: ignore[attr-defined]
        name = wanted.removeprefix("-")
        if name not in allowed:
            choices = ", ".join(sorted([*allowed, *(f"-{n}" for n in allowed)]))
            raise ValidationError(
                {ORDERING_PARAM: [f"Order by one of: {choices}."]}, code="invalid_ordering"
            )
        return Ordering(name=name, field=allowed[name], descending=wanted.startswith("-"))

    def size(self, request: Request) -> int:
        raw = request.query_params.get(PAGE_SIZE_PARAM)
        if raw is None or raw == "":
            return self.page_size
        try:
            size = int(raw)
        except ValueError:
            size = 0
        if not 1 <= size <= MAX_PAGE_SIZE:
            raise ValidationError(
                {PAGE_SIZE_PARAM: [f"A whole number from 1 to {MAX_PAGE_SIZE}."]},
                code="invalid_page_size",
            )
        return size

    # -- paging -----------------------------------------------------------------------------
    def paginate_queryset(
        self, queryset: QuerySet[Any], request: Request, view: APIView | None = None
    ) -> list[Any]:
        assert view is not None
        self.request = request
        ordering = self.ordering(request, view)
        sort = Sort(ordering.field, descending=ordering.descending)
        try:
            page = keyset_page(
                queryset,
                sort=sort,
                cursor=request.query_params.get(CURSOR_PARAM) or "",
                size=self.size(request),
                count=False,
            )
        except CursorInvalid as exc:
            raise ValidationError(
                {CURSOR_PARAM: ["This cursor is not valid here."]}, code="invalid_cursor"
            ) from exc
        self.next_cursor = page.next_cursor or None
        self.previous_cursor = page.previous_cursor or None
        return page.rows

    def _link(self, cursor: str | None) -> str | None:
        if cursor is None or self.request is None:
            return None
        url = self.request.build_absolute_uri()
        return replace_query_param(url, CURSOR_PARAM, cursor)

    def get_paginated_response(self, data: Sequence[Any]) -> Response:
        return Response(
            {
                "next": self._link(self.next_cursor),
                "previous": self._link(self.previous_cursor),
                "results": data,
            }
        )

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        link = {"type": "string", "format": "uri", "nullable": True}
        return {
            "type": "object",
            "required": ["next", "previous", "results"],
            "properties": {"next": link, "previous": link, "results": schema},
        }

    def get_schema_operation_parameters(self, view: APIView) -> list[dict[str, Any]]:
        names = sorted(self.orderings_of(view))
        return [
            {
                "name": CURSOR_PARAM,
                "required": False,
                "in": "query",
                "description": "The `next` or `previous` link's cursor.",
                "schema": {"type": "string"},
            },
            {
                "name": PAGE_SIZE_PARAM,
                "required": False,
                "in": "query",
                "description": f"Rows per page (default {PAGE_SIZE}).",
                "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE},
            },
            {
                "name": ORDERING_PARAM,
                "required": False,
                "in": "query",
                "description": "Sort field; prefix with '-' for descending.",
                "schema": {"type": "string", "enum": [*names, *(f"-{n}" for n in names)]},
            },
        ]
