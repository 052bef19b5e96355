"""A buyer who bought from several of one store's Mercado Livre accounts: the access export
holds what every account synced and says which account each record came from; the erasure
reaches every account, later syncs of any of them do not bring the buyer back, and another
store is never touched."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from typing import Any

import pytest
from django.db.models import Q
from django_tenants.utils import tenant_context

from compliance.dsr.erasure import subject_erase
from compliance.dsr.exports import subject_export
from compliance.models import RequestKind, RequestScope
from integrations.mercadolivre.models import MLAccount, MLOrder, MLQuestion
from integrations.mercadolivre.upserts import orders_upsert, questions_upsert
from tenants.models import Tenant
from tests.compliance.test_subject_data import read_zip, request_for
from tests.support.ml import account_add

pytestmark = pytest.mark.django_db

BUYER = 987650001
OTHER_BUYER = 987650002
NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)
# Store A holds a main account and an outlet; store B holds one account of its own.
MAIN, OUTLET, ELSEWHERE = (5560001, "LOJA_MATRIZ"), (5560002, "LOJA_OUTLET"), (5560003, "LOJA_B")


def order_body(order_id: int, seller: int, buyer: int, nickname: str) -> dict[str, Any]:
    return {
        "id": order_id,
        "status": "paid",
        "date_created": "2026-11-20T09:00:00.000-03:00",
        "date_last_updated": "2026-11-20T09:00:00.000-03:00",
        "total_amount": 50.0,
        "currency_id": "BRL",
        "seller": {"id": seller},
        "buyer": {"id": buyer, "nickname": nickname, "first_name": "Zebedeu"},
        "payments": [{"id": order_id + 1, "payer_id": buyer, "status": "approved"}],
    }


def question_body(question_id: int, seller: int, buyer: int, text: str) -> dict[str, Any]:
    return {
        "id": question_id,
        "seller_id": seller,
        "item_id": "MLB1",
        "text": text,
        "status": "UNANSWERED",
        "date_created": "2026-11-20T09:00:00.000-03:00",
        "from": {"id": buyer},
    }


def sync(tenant: Tenant, account: MLAccount, *, orders=(), questions=()) -> None:
    """What a sync of ``account`` writes: its orders and questions, through the upserts."""
    with tenant_context(tenant):
        orders_upsert(list(orders), account=account)
        questions_upsert(list(questions), account=account)


@pytest.fixture
def accounts(tenant_a, tenant_b) -> dict[str, MLAccount]:
    made = {
        "main": account_add(tenant_a, ml_user_id=MAIN[0], nickname=MAIN[1]),
        "outlet": account_add(tenant_a, ml_user_id=OUTLET[0], nickname=OUTLET[1]),
        "elsewhere": account_add(tenant_b, ml_user_id=ELSEWHERE[0], nickname=ELSEWHERE[1]),
    }
    sync(
        tenant_a,
        made["main"],
        orders=[order_body(4000000001, MAIN[0], BUYER, "ZEBEDEU_COMPRA")],
        questions=[question_body(5000000001, MAIN[0], BUYER, "Tem azul? Zebedeu na matriz")],
    )
    sync(
        tenant_a,
        made["outlet"],
        orders=[
            order_body(4000000002, OUTLET[0], BUYER, "ZEBEDEU_COMPRA"),
            order_body(4000000003, OUTLET[0], OTHER_BUYER, "OUTRA_PESSOA"),
        ],
        questions=[question_body(5000000002, OUTLET[0], BUYER, "Tem verde? Zebedeu no outlet")],
    )
    sync(
        tenant_b,
        made["elsewhere"],
        orders=[order_body(4000000004, ELSEWHERE[0], BUYER, "ZEBEDEU_COMPRA")],
        questions=[question_body(5000000004, ELSEWHERE[0], BUYER, "Tem azul? Zebedeu na B")],
    )
    return made


def buyer_rows(tenant: Tenant) -> tuple[list[int], list[int]]:
    """The orders still naming the buyer and the buyer's questions, in ``tenant``."""
    with tenant_context(tenant):
        orders = MLOrder.objects.filter(
            Q(buyer_id=BUYER) | Q(buyer_nickname="ZEBEDEU_COMPRA") | Q(raw__buyer__id=BUYER)
        )
        questions = MLQuestion.objects.filter(from_id=BUYER)
        return sorted(orders.values_list("pk", flat=True)), sorted(
            questions.values_list("pk", flat=True)
        )


def test_the_export_holds_the_buyers_records_of_every_account_each_naming_its_account(
    tenant_a, accounts
):
    done = subject_export(
        request=request_for(
            tenant_a, RequestScope.BUYER, RequestKind.ACCESS, subject_ml_user_id=BUYER
        )
    )
    files = read_zip(done.path)

    orders = json.loads(files["mercadolivre_MLOrder.json"])
    assert sorted((o["pk"], o["account_ml_user_id"], o["account_nickname"]) for o in orders) == [
        (4000000001, *MAIN),
        (4000000002, *OUTLET),
    ]
    questions = json.loads(files["mercadolivre_MLQuestion.json"])
    assert sorted((q["pk"], q["account_ml_user_id"], q["account_nickname"]) for q in questions) == [
        (5000000001, *MAIN),
        (5000000002, *OUTLET),
    ]
    in_csv = list(csv.DictReader(io.StringIO(files["mercadolivre_MLQuestion.csv"])))
    assert sorted(row["account_nickname"] for row in in_csv) == ["LOJA_MATRIZ", "LOJA_OUTLET"]
    manifest = json.loads(files["manifest.json"])
    described = {m["model"]: m for m in manifest["models"]}
    assert described["mercadolivre.MLOrder"]["provenance"] == [
        "account_ml_user_id",
        "account_nickname",
    ]
    everything = "".join(files.values())
    assert "OUTRA_PESSOA" not in everything  # another buyer of the outlet
    assert "Zebedeu na B" not in everything  # the same buyer in another store
    assert str(ELSEWHERE[0]) not in everything


def test_the_erasure_reaches_the_buyers_records_of_every_account(tenant_a, tenant_b, accounts):
    changed = subject_erase(
        request=request_for(
            tenant_a, RequestScope.BUYER, RequestKind.ERASURE, subject_ml_user_id=BUYER
        )
    )

    assert changed["mercadolivre.MLOrder"] == 2
    assert changed["mercadolivre.MLQuestion"] == 2
    assert buyer_rows(tenant_a) == ([], [])
    with tenant_context(tenant_a):
        kept = dict(MLOrder.objects.values_list("pk", "account__ml_user_id"))
        assert MLOrder.objects.get(pk=4000000003).buyer_id == OTHER_BUYER
    # The fiscal records stay, each under its account.
    assert kept == {4000000001: MAIN[0], 4000000002: OUTLET[0], 4000000003: OUTLET[0]}
    # Store B is another controller: its copy of the same buyer is untouched.
    assert buyer_rows(tenant_b) == ([4000000004], [5000000004])


def test_after_the_erasure_a_sync_of_the_other_account_does_not_bring_the_buyer_back(
    tenant_a, tenant_b, accounts
):
    subject_erase(
        request=request_for(
            tenant_a, RequestScope.BUYER, RequestKind.ERASURE, subject_ml_user_id=BUYER
        )
    )

    # ML sends the outlet's copies again (a later sync), and a new order and question.
    sync(
        tenant_a,
        accounts["outlet"],
        orders=[
            order_body(4000000002, OUTLET[0], BUYER, "ZEBEDEU_COMPRA"),
            order_body(4000000005, OUTLET[0], BUYER, "ZEBEDEU_COMPRA"),
        ],
        questions=[
            question_body(5000000002, OUTLET[0], BUYER, "Tem verde? Zebedeu no outlet"),
            question_body(5000000005, OUTLET[0], BUYER, "Chega amanhã? Zebedeu"),
        ],
    )
    sync(
        tenant_a,
        accounts["main"],
        orders=[order_body(4000000001, MAIN[0], BUYER, "ZEBEDEU_COMPRA")],
    )

    assert buyer_rows(tenant_a) == ([], [])
    with tenant_context(tenant_a):
        assert MLOrder.objects.get(pk=4000000005).account_id == accounts["outlet"].pk
    # Store B's own sync still stores the buyer: the suppression list is store A's.
    sync(
        tenant_b,
        accounts["elsewhere"],
        orders=[order_body(4000000006, ELSEWHERE[0], BUYER, "ZEBEDEU_COMPRA")],
    )
    assert buyer_rows(tenant_b) == ([4000000004, 4000000006], [5000000004])
