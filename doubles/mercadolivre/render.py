"""ML's JSON shapes for the sandbox records (ml-api.md §4 and §9), in one place.

Times: items and ``date_last_updated`` use UTC with ``Z``; orders, questions, shipments and users
use ML's ``-04:00`` offset, as the documented examples do.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta, timezone

from doubles.mercadolivre.records import (
    Address,
    Item,
    Order,
    Question,
    Seller,
    Shipment,
)

JSON = dict[str, object]
ML_LOCAL = timezone(timedelta(hours=-4))


def ml_utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def ml_local(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(ML_LOCAL).strftime("%Y-%m-%dT%H:%M:%S.000-04:00")


def money(cents: int) -> float:
    return cents / 100


def projected(body: JSON, attributes: Iterable[str] | None) -> JSON:
    """The ``attributes=`` projection: only the named top-level keys, in the body's order."""
    if attributes is None:
        return body
    wanted = set(attributes)
    return {key: value for key, value in body.items() if key in wanted}


def _slug(text: str) -> str:
    ascii_text = text.lower().translate(str.maketrans("áâãàéêíóôõúç", "aaaaeeiooouc"))
    return re.sub(r"[^a-z0-9]+", "-", ascii_text).strip("-")


def user_json(seller: Seller, *, private: bool) -> JSON:
    """``/users/{id}``: the public subset, or every field for the owner's own token."""
    reputation: JSON = {
        "level_id": seller.level_id,
        "power_seller_status": seller.power_seller_status,
        "transactions": {
            "period": "historic",
            "total": seller.transactions_completed + seller.transactions_canceled,
            "completed": seller.transactions_completed,
            "canceled": seller.transactions_canceled,
            "ratings": {"positive": 0.96, "negative": 0.02, "neutral": 0.02},
        },
        "metrics": {
            "sales": {"period": "60 days", "completed": seller.transactions_completed // 10},
            "claims": {"period": "60 days", "rate": 0.01, "value": 1},
            "delayed_handling_time": {"period": "60 days", "rate": 0.02, "value": 2},
            "cancellations": {"period": "60 days", "rate": 0.0, "value": 0},
        },
    }
    public: JSON = {
        "id": seller.id,
        "nickname": seller.nickname,
        "registration_date": ml_local(seller.registration_date),
        "country_id": "BR",
        "address": {"city": seller.address.city, "state": seller.address.state_id},
        "user_type": "normal",
        "tags": ["normal", "eshop"],
        "logo": None,
        "points": seller.transactions_completed // 3,
        "site_id": "MLB",
        "permalink": f"http://perfil.mercadolivre.com.br/{seller.nickname}",
        "seller_reputation": reputation,
        "status": {"site_status": "active"},
    }
    if not private:
        return public
    return {
        **public,
        "first_name": seller.first_name,
        "last_name": seller.last_name,
        "email": seller.email,
        "identification": {"type": "CNPJ", "number": seller.identification_number},
        "address": {
            "state": seller.address.state_id,
            "city": seller.address.city,
            "address": f"{seller.address.street} {seller.address.number}",
            "zip_code": seller.address.zip_code,
        },
        "phone": {
            "area_code": seller.phone_area,
            "number": seller.phone_number,
            "extension": "",
            "verified": True,
        },
        "alternative_phone": {"area_code": "", "number": "", "extension": ""},
        "seller_experience": "ADVANCED",
        "buyer_reputation": {"canceled_transactions": 0, "tags": [], "transactions": {}},
        "status": {
            "site_status": "active",
            "list": {"allow": True, "codes": [], "immediate_payment": {"required": False}},
            "buy": {"allow": True, "codes": [], "immediate_payment": {"required": False}},
            "sell": {"allow": True, "codes": [], "immediate_payment": {"required": False}},
            "billing": {"allow": True, "codes": []},
            "mercadopago_tc_accepted": True,
            "mercadopago_account_type": "personal",
            "mercadoenvios": "accepted",
            "immediate_payment": False,
            "confirmed_email": True,
            "user_type": "eventual",
            "required_action": "",
        },
        "credit": {"consumed": 0, "credit_level_id": "MLB5"},
    }


def item_json(item: Item) -> JSON:
    number = item.id.removeprefix("MLB")
    picture = f"http://http2.mlstatic.com/D_{number[-6:]}-MLB{number}_012026-I.jpg"
    attributes: list[JSON] = [
        {"id": "ITEM_CONDITION", "name": "Condição do item", "value_name": item.condition},
    ]
    if item.sku is not None:
        attributes.append({"id": "SELLER_SKU", "name": "SKU", "value_name": item.sku})
    return {
        "id": item.id,
        "site_id": "MLB",
        "title": item.title,
        "subtitle": None,
        "seller_id": item.seller_id,
        "category_id": item.category_id,
        "official_store_id": None,
        "price": money(item.price_cents),
        "base_price": money(item.price_cents),
        "original_price": None,
        "currency_id": "BRL",
        "initial_quantity": item.initial_quantity,
        "available_quantity": item.available_quantity,
        "sold_quantity": item.sold_quantity,
        "sale_terms": [{"id": "WARRANTY_TYPE", "value_name": item.warranty}],
        "buying_mode": "buy_it_now",
        "listing_type_id": item.listing_type_id,
        "condition": item.condition,
        "permalink": f"https://produto.mercadolivre.com.br/MLB-{number}-{_slug(item.title)}-_JM",
        "thumbnail": picture,
        "secure_thumbnail": picture.replace("http://", "https://"),
        "pictures": [{"id": f"{number[-6:]}-MLB{number}_012026", "url": picture}],
        "status": item.status,
        "sub_status": [],
        "seller_custom_field": item.sku,
        "attributes": attributes,
        "shipping": {
            "free_shipping": item.free_shipping,
            "mode": "me2",
            "logistic_type": item.logistic_type,
        },
        "automatic_relist": False,
        "date_created": ml_utc(item.date_created),
        "last_updated": ml_utc(item.last_updated),
        "health": None,
        "tags": ["good_quality_thumbnail"],
    }


def order_json(order: Order, seller: Seller) -> JSON:
    total = money(order.total_cents)
    return {
        "id": order.id,
        "status": order.status,
        "status_detail": None,
        "date_created": ml_local(order.date_created),
        "date_closed": ml_local(order.date_closed),
        "date_last_updated": ml_utc(order.date_last_updated),
        "last_updated": ml_local(order.date_last_updated),
        "expiration_date": ml_local(order.date_created + timedelta(days=28)),
        "pack_id": order.pack_id,
        "fulfilled": None,
        "buying_mode": "buy_equals_pay",
        "order_items": [
            {
                "item": {
                    "id": line.item_id,
                    "title": line.title,
                    "category_id": line.category_id,
                    "variation_id": None,
                    "variation_attributes": [],
                    "seller_custom_field": line.sku,
                    "seller_sku": line.sku,
                    "condition": line.condition,
                    "warranty": line.warranty,
                },
                "quantity": line.quantity,
                "unit_price": money(line.unit_price_cents),
                "full_unit_price": money(line.unit_price_cents),
                "sale_fee": money(line.sale_fee_cents),
                "listing_type_id": line.listing_type_id,
                "currency_id": "BRL",
            }
            for line in order.lines
        ],
        "total_amount": total,
        "paid_amount": total if order.is_paid else 0.0,
        "currency_id": "BRL",
        "buyer": {
            "id": order.buyer.id,
            "nickname": order.buyer.nickname,
            "first_name": order.buyer.first_name,
            "last_name": order.buyer.last_name,
        },
        "seller": {"id": seller.id, "nickname": seller.nickname},
        "payments": [
            {
                "id": payment.id,
                "order_id": order.id,
                "payer_id": order.buyer.id,
                "collector": {"id": seller.id},
                "status": payment.status,
                "status_detail": payment.status_detail,
                "transaction_amount": money(payment.amount_cents),
                "total_paid_amount": money(payment.amount_cents),
                "currency_id": "BRL",
                "payment_method_id": payment.payment_method_id,
                "payment_type": payment.payment_type,
                "installments": payment.installments,
                "marketplace_fee": money(sum(line.sale_fee_cents for line in order.lines)),
                "site_id": "MLB",
                "date_created": ml_local(payment.date_created),
                "date_approved": ml_local(payment.date_approved),
                "date_last_modified": ml_local(payment.date_approved or payment.date_created),
            }
            for payment in order.payments
        ],
        "shipping": {"id": order.shipment_id},
        "feedback": {"sale": None, "purchase": None},
        "context": {"channel": "marketplace", "site": "MLB", "flows": []},
        "mediations": [],
        "taxes": {"amount": None, "currency_id": None},
        "tags": list(order.tags),
    }


def _shipping_address(address: Address) -> JSON:
    return {
        "address_line": f"{address.street} {address.number}",
        "street_name": address.street,
        "street_number": address.number,
        "zip_code": address.zip_code,
        "city": {"id": None, "name": address.city},
        "state": {"id": address.state_id, "name": address.state_name},
        "country": {"id": "BR", "name": "Brasil"},
        "comment": None,
    }


def shipment_json(shipment: Shipment, order: Order, seller: Seller) -> JSON:
    """The ``x-format-new`` shape; the buyer's address stays hidden until the order is paid."""
    buyer = order.buyer
    cost = money(shipment.cost_cents)
    return {
        "id": shipment.id,
        "order_id": order.id,
        "external_reference": None,
        "status": shipment.status,
        "substatus": shipment.substatus,
        "date_created": ml_local(shipment.date_created),
        "last_updated": ml_local(shipment.last_updated),
        "declared_value": money(order.total_cents),
        "dimensions": {"height": 10, "width": 20, "length": 30, "weight": shipment.weight_grams},
        "logistic": {"mode": "me2", "type": shipment.logistic_type, "direction": "forward"},
        "source": {"site_id": "MLB", "market_place": "MELI", "application_id": None},
        "tracking_number": shipment.tracking_number,
        "tracking_method": "MEL Distribution" if shipment.tracking_number else None,
        "origin": {
            "type": "selling_address",
            "sender_id": seller.id,
            "shipping_address": _shipping_address(seller.address),
        },
        "destination": {
            "type": "buyer_address",
            "receiver_id": buyer.id,
            "receiver_name": f"{buyer.first_name} {buyer.last_name}",
            "receiver_phone": None,
            "shipping_address": _shipping_address(buyer.address) if order.is_paid else None,
        },
        "lead_time": {
            "cost": cost,
            "list_cost": cost,
            "currency_id": "BRL",
            "shipping_method": {
                "id": 182,
                "name": "Normal",
                "type": "standard",
                "deliver_to": "address",
            },
            "estimated_delivery_time": {
                "date": ml_local(shipment.date_created + timedelta(days=5)),
                "type": "known_frame",
                "unit": "hour",
                "shipping": 120,
            },
        },
        "tags": [],
        "items_types": ["new"],
        "snapshot_packing": None,
    }


def question_json(question: Question, *, by_id: bool) -> JSON:
    """A question in the shape of the endpoint that serves it (gestiona-preguntas-respuestas).

    ``/questions/search`` lists each with ``from: {id}``; ``GET /questions/{id}`` answers with
    ``buyer_id``, ``app_id`` and ``last_updated`` and no ``from``.
    """
    answer = question.answer
    body: JSON = {
        "id": question.id,
        "seller_id": question.seller_id,
        "item_id": question.item_id,
        "text": question.text,
        "status": question.status,
        "date_created": ml_local(question.date_created),
        "hold": False,
        "deleted_from_listing": False,
        "suspected_spam": False,
        "answer": None
        if answer is None
        else {
            "text": answer.text,
            "status": answer.status,
            "date_created": ml_local(answer.date_created),
        },
    }
    if by_id:
        body["buyer_id"] = question.buyer_id
        body["app_id"] = None
        body["last_updated"] = ml_local(question.last_updated)
    else:
        body["from"] = {"id": question.buyer_id}
    return body
