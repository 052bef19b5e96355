"""Keyset ("cursor") pagination over a whitelisted ordering with the primary key as tie-break.

A page is one indexed range query of ``page_size + 1`` rows whatever the table's size or the
page's depth: no COUNT, no OFFSET. The cursor is opaque to clients (base64 JSON of the ordering,
the boundary row's value and key, and the direction) and is checked before use, so a tampered
cursor is a 400, never a database error.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Model, Q, QuerySet
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import BasePagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param

from api.filtering import as_utc

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


def _invalid_cursor() -> ValidationError:
    return ValidationError(
        {CURSOR_PARAM: ["This cursor is not valid here."]}, code="invalid_cursor"
    )


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


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

    def decode(self, raw: str, model: type[Model], ordering: Ordering) -> tuple[Any, Any, bool]:
        try:
            padded = raw + "=" * (-len(raw) % 4)
            data = json.loads(base64.urlsafe_b64decode(padded.encode()))
        except (binascii.Error, ValueError, UnicodeError) as exc:
            raise _invalid_cursor() from exc
        if not isinstance(data, dict) or data.get("o") != ordering.token or "v" not in data:
            raise _invalid_cursor()
        try:
            value = model._meta.get_field(ordering.field).to_python(data["v"])  # type: ignore[union-attr]
            key = model._meta.pk.to_python(data.get("k"))
            if isinstance(value, datetime):
                value = as_utc(value)
        except (DjangoValidationError, TypeError, ValueError, OverflowError) as exc:
            raise _invalid_cursor() from exc
        if value is None or key is None or isinstance(value, dict | list):
            raise _invalid_cursor()
        return value, key, data.get("d") == "p"

    @staticmethod
    def encode(obj: Model, ordering: Ordering, *, backwards: bool) -> str:
        payload = {
            "o": ordering.token,
            "v": _plain(getattr(obj, ordering.field)),
            "k": _plain(obj.pk),
            "d": "p" if backwards else "n",
        }
        raw = json.dumps(payload, separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    # -- paging -----------------------------------------------------------------------------
    def paginate_queryset(
        self, queryset: QuerySet[Any], request: Request, view: APIView | None = None
    ) -> list[Any]:
        assert view is not None
        self.request = request
        ordering = self.ordering(request, view)
        size = self.size(request)
        raw_cursor = request.query_params.get(CURSOR_PARAM)
        backwards = False
        if raw_cursor:
            value, key, backwards = self.decode(raw_cursor, queryset.model, ordering)
            # Seek past the boundary row; walking backwards flips the comparison.
            after = ordering.descending != backwards
            op = "lt" if after else "gt"
            bound = "lte" if after else "gte"
            f = ordering.field
            queryset = queryset.filter(
                Q(**{f"{f}__{bound}": value})
                & (Q(**{f"{f}__{op}": value}) | Q(**{f"pk__{op}": key}))
            )
        descending = ordering.descending != backwards
        sign = "-" if descending else ""
        rows = list(queryset.order_by(f"{sign}{ordering.field}", f"{sign}pk")[: size + 1])
        more = len(rows) > size
        rows = rows[:size]
        if backwards:
            rows.reverse()
        self.next_cursor = self.previous_cursor = None
        if rows:
            if backwards:
                self.next_cursor = self.encode(rows[-1], ordering, backwards=False)
                if more:
                    self.previous_cursor = self.encode(rows[0], ordering, backwards=True)
            else:
                if more:
                    self.next_cursor = self.encode(rows[-1], ordering, backwards=False)
                if raw_cursor:
                    self.previous_cursor = self.encode(rows[0], ordering, backwards=True)
        return rows

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
