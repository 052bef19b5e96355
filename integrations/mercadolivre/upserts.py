"""ML JSON → rows in the store's schema, in bulk, never letting older data overwrite newer.

Each upsert is one ``INSERT … ON CONFLICT (id) DO UPDATE … WHERE`` statement: a row is replaced
only when the incoming ``last_updated`` is at least the stored one, so replays and
out-of-order notifications converge on ML's latest state whatever order they arrive in. What an
answer leaves out (``KEEP_KNOWN``, keys of ``raw``) never erases what is stored.

Every row belongs to the account it was read with (``account``). A row whose payload names
another seller (``seller_id`` of an item or question, ``seller.id`` of an order) is not
stored under this account: a notification or answer for one account never lands on another.

Before writing, each batch asks the store's suppression list (``compliance.dsr.suppression``)
which of its buyers were erased, in one query: their orders are stored with the buyer
anonymized as erasure anonymizes them (the order itself is a fiscal record), their questions
are not stored at all.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db import connection, transaction
from django.db.models import Model
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from psycopg.types.json import Jsonb

from compliance.dsr.suppression import erased_buyers
from integrations.mercadolivre.erased import order_buyer_erased
from integrations.mercadolivre.models import MLAccount, MLItem, MLOrder, MLQuestion
from tenants.context import current_schema

logger = logging.getLogger(__name__)


def cents(value: object) -> int:
    """ML's decimal amounts (floats in JSON) as integer centavos, rounded half up."""
    if value is None or isinstance(value, bool):
        return 0
    return int(Decimal(str(value)).scaleb(2).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def moment(value: object) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    parsed = parse_datetime(value)
    if parsed is None:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _int_or_none(value: object) -> int | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        return int(str(value))
    except ValueError:
        return None


def item_row(body: Mapping[str, Any], now: datetime) -> dict[str, Any]:
    sku = body.get("seller_custom_field") or next(
        (a.get("value_name") for a in body.get("attributes") or [] if a.get("id") == "SELLER_SKU"),
        "",
    )
    return {
        "id": str(body["id"]),
        "title": str(body.get("title") or "")[:255],
        "price_cents": cents(body.get("price")),
        "currency": str(body.get("currency_id") or "BRL")[:3],
        "available_quantity": int(body.get("available_quantity") or 0),
        "sold_quantity": int(body.get("sold_quantity") or 0),
        "status": str(body.get("status") or "")[:24],
        "permalink": str(body.get("permalink") or "")[:500],
        "thumbnail": str(body.get("secure_thumbnail") or body.get("thumbnail") or "")[:500],
        "category_id": str(body.get("category_id") or "")[:32],
        "listing_type_id": str(body.get("listing_type_id") or "")[:32],
        "sku": str(sku or "")[:100],
        "date_created": moment(body.get("date_created")),
        "last_updated": moment(body.get("last_updated")) or now,
        "raw": dict(body),
        "synced_at": now,
    }


def _mapping(value: object) -> Mapping[str, Any]:
    """An object of the payload, or empty where there is none (or an erasure left a marker)."""
    return value if isinstance(value, Mapping) else {}


def order_row(body: Mapping[str, Any], now: datetime) -> dict[str, Any]:
    buyer = _mapping(body.get("buyer"))
    shipping = _mapping(body.get("shipping"))
    return {
        "id": int(body["id"]),
        "status": str(body.get("status") or "")[:32],
        "date_created": moment(body.get("date_created")) or now,
        "date_closed": moment(body.get("date_closed")),
        "last_updated": moment(body.get("date_last_updated"))
        or moment(body.get("last_updated"))
        or now,
        "total_cents": cents(body.get("total_amount")),
        "paid_cents": cents(body.get("paid_amount")),
        "currency": str(body.get("currency_id") or "BRL")[:3],
        "buyer_id": _int_or_none(buyer.get("id")),
        "buyer_nickname": str(buyer.get("nickname") or "")[:100],
        "items": (
            [
                {
                    "item_id": (line.get("item") or {}).get("id"),
                    "title": (line.get("item") or {}).get("title"),
                    "quantity": line.get("quantity"),
                    "unit_price_cents": cents(line.get("unit_price")),
                }
                for line in body.get("order_items") or []
            ]
        ),
        "payments": (
            [
                {
                    "id": payment.get("id"),
                    "status": payment.get("status"),
                    "amount_cents": cents(
                        payment.get("total_paid_amount") or payment.get("transaction_amount")
                    ),
                    "method": payment.get("payment_method_id"),
                }
                for payment in body.get("payments") or []
            ]
        ),
        "shipping_id": _int_or_none(shipping.get("id")),
        "raw": dict(body),
        "synced_at": now,
    }


def question_row(body: Mapping[str, Any], now: datetime) -> dict[str, Any]:
    answer = body.get("answer") or {}
    return {
        "id": int(body["id"]),
        "item_id": str(body.get("item_id") or "")[:32],
        "text": str(body.get("text") or ""),
        "status": str(body.get("status") or "")[:24],
        "date_created": moment(body.get("date_created")) or now,
        "last_updated": moment(body.get("last_updated")) or moment(body.get("date_created")) or now,
        "from_id": question_buyer_id(body),
        "answer_text": str(answer.get("text") or ""),
        "answer_status": str(answer.get("status") or "")[:24],
        "answer_date": moment(answer.get("date_created")),
        "raw": dict(body),
        "synced_at": now,
    }


def question_buyer_id(body: Mapping[str, Any]) -> int | None:
    """Who asked: ``from.id`` in ``/questions/search``, ``buyer_id`` in ``/questions/{id}``.

    ML's "Preguntas por ID" (``api_version=4``) answers ``buyer_id`` and no ``from``; the
    search answers ``from: {id}`` and no ``buyer_id`` (gestiona-preguntas-respuestas).
    """
    sender = body.get("from")
    found = _int_or_none(sender.get("id")) if isinstance(sender, Mapping) else None
    return found if found is not None else _int_or_none(body.get("buyer_id"))


# Columns a payload may leave out (another endpoint's shape, a 206 Partial Content): a NULL
# coming in keeps what is stored. Each names the column whose NULL means "absent"; the buyer's
# nickname goes with the buyer's id.
KEEP_KNOWN: dict[type[Model], dict[str, str]] = {
    MLQuestion: {"from_id": "from_id"},
    MLOrder: {
        "buyer_id": "buyer_id",
        "buyer_nickname": "buyer_id",
        "shipping_id": "shipping_id",
        "date_closed": "date_closed",
    },
}


def _update_clause(model: type[Model], table: str, column: str) -> str:
    q = connection.ops.quote_name(column)
    if column == "account_id":
        # A row's seller never changes: a payload that names none keeps the stored account.
        return f"{q} = COALESCE({table}.{q}, EXCLUDED.{q})"
    if column == "raw":
        # Keys ML left out of this answer keep their stored values (``from`` of a question
        # read by id, ``buyer`` of a partial order); keys it sent replace them.
        return f"{q} = {table}.{q} || EXCLUDED.{q}"
    guard = KEEP_KNOWN.get(model, {}).get(column)
    if guard is None:
        return f"{q} = EXCLUDED.{q}"
    g = connection.ops.quote_name(guard)
    return f"{q} = CASE WHEN EXCLUDED.{g} IS NULL THEN {table}.{q} ELSE EXCLUDED.{q} END"


def _adapted(value: Any) -> Any:
    """JSON columns' values (dicts and lists) as ``jsonb`` parameters."""
    return Jsonb(value) if isinstance(value, dict | list) else value


def _upsert(model: type[Model], rows: Sequence[dict[str, Any]]) -> int:
    """Insert or update ``rows`` by primary key unless the stored row is newer; rows written."""
    if not rows:
        return 0
    table = connection.ops.quote_name(model._meta.db_table)
    columns = list(rows[0])
    quoted = [connection.ops.quote_name(column) for column in columns]
    updates = ", ".join(_update_clause(model, table, c) for c in columns if c != "id")
    placeholders = "(" + ", ".join(["%s"] * len(columns)) + ")"
    sql = (
        f"INSERT INTO {table} ({', '.join(quoted)}) VALUES "  # noqa: S608 - names from the model
        + ", ".join([placeholders] * len(rows))
        + f' ON CONFLICT ("id") DO UPDATE SET {updates}'
        + f' WHERE {table}."last_updated" <= EXCLUDED."last_updated"'
    )
    params = [_adapted(row[column]) for row in rows for column in columns]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return int(cursor.rowcount)


def _dedupe_latest(rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per id (the newest): ON CONFLICT cannot touch a row twice in one statement."""
    latest: dict[Any, dict[str, Any]] = {}
    for row in rows:
        kept = latest.get(row["id"])
        if kept is None or kept["last_updated"] <= row["last_updated"]:
            latest[row["id"]] = row
    return list(latest.values())


def payload_seller_id(model: type[Model], body: Mapping[str, Any]) -> int | None:
    """The seller a payload says it belongs to, where ML names one."""
    if model is MLOrder:
        return _int_or_none(_mapping(body.get("seller")).get("id"))
    return _int_or_none(body.get("seller_id"))


def _for_account(
    model: type[Model], rows: Iterable[dict[str, Any]], account: MLAccount
) -> list[dict[str, Any]]:
    """``rows`` attached to ``account``, less those whose payload names another seller."""
    kept = []
    for row in rows:
        seller = payload_seller_id(model, row["raw"])
        if seller is not None and seller != account.ml_user_id:
            logger.warning(
                "%s %s belongs to ML seller %s, not to account %s: not stored",
                model._meta.model_name,
                row["id"],
                seller,
                account.ml_user_id,
            )
            continue
        row["account_id"] = account.pk
        kept.append(row)
    return _dedupe_latest(kept)


def items_upsert(bodies: Iterable[Mapping[str, Any]], *, account: MLAccount) -> int:
    now = timezone.now()
    return _upsert(MLItem, _for_account(MLItem, (item_row(body, now) for body in bodies), account))


def _erased_among(buyer_ids: Iterable[int | None]) -> frozenset[int]:
    return erased_buyers(schema_name=current_schema(), ml_user_ids=buyer_ids)


def order_buyer_ids(body: Mapping[str, Any]) -> set[int]:
    """Every id an order gives its buyer: ``buyer.id`` and each payment's ``payer_id`` (a 206
    may leave the buyer out and still name them as the payer)."""
    payers = [_mapping(payment).get("payer_id") for payment in body.get("payments") or []]
    found = {_int_or_none(value) for value in [_mapping(body.get("buyer")).get("id"), *payers]}
    return {value for value in found if value is not None}


def orders_upsert(bodies: Iterable[Mapping[str, Any]], *, account: MLAccount) -> int:
    now = timezone.now()
    rows = _for_account(MLOrder, (order_row(body, now) for body in bodies), account)
    with transaction.atomic():
        erased = _erased_among(buyer for row in rows for buyer in order_buyer_ids(row["raw"]))
        for row in rows:
            if order_buyer_ids(row["raw"]) & erased:
                row.update(order_buyer_erased(raw=row["raw"], payments=row["payments"]))
        return _upsert(MLOrder, rows)


def questions_upsert(bodies: Iterable[Mapping[str, Any]], *, account: MLAccount) -> int:
    now = timezone.now()
    rows = _for_account(MLQuestion, (question_row(body, now) for body in bodies), account)
    with transaction.atomic():
        erased = _erased_among(row["from_id"] for row in rows)
        return _upsert(MLQuestion, [row for row in rows if row["from_id"] not in erased])
