"""Personal data in the Mercado Livre integration: buyers in orders and questions, the seller's
ML account, and who connected it."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from compliance.dsr.lookup import buyer_finder
from compliance.dsr.scrub import erased_email
from compliance.registry import Erasure, Subject, SubjectKind, not_personal, personal_data
from integrations.mercadolivre.erased import order_buyer_erased
from integrations.mercadolivre.models import MLAccount, MLItem, MLOrder, MLQuestion, SyncRun
from integrations.models import MLAuthorization, MLConnection, MLNotification
from tenants.models import Tenant

BUYER = (SubjectKind.BUYER,)
SELLER = (SubjectKind.SELLER_USER,)
# Which of the store's ML accounts a row came from, beside each exported row (a store may
# hold several; rows the store held before its first account name none).
ACCOUNT = {"account_ml_user_id": "account__ml_user_id", "account_nickname": "account__nickname"}


def _orders(tenant: Tenant, subject: Subject) -> QuerySet[Any]:
    """A buyer's orders; for the store's owner, every order whose copy names the seller."""
    if subject.kind == SubjectKind.BUYER:
        return MLOrder.objects.filter(buyer_id=subject.ml_user_id)
    if subject.owns(tenant):
        return MLOrder.objects.filter(raw__seller__has_key="nickname")
    return MLOrder.objects.none()


def _order_buyer_erased(order: MLOrder) -> dict[str, Any]:
    return order_buyer_erased(raw=order.raw, payments=order.payments)


def _order_erased_for(order: MLOrder, subject: Subject) -> dict[str, Any]:
    if subject.kind == SubjectKind.BUYER:
        return _order_buyer_erased(order)
    # The owner's erasure takes the seller's ML nickname out of ML's copy of the order; the
    # buyer's part is the store's record (the seller is its controller) and stays.
    raw = dict(order.raw)
    raw["seller"] = {k: v for k, v in (raw.get("seller") or {}).items() if k != "nickname"}
    return {"raw": raw}


personal_data(
    MLOrder,
    fields=["buyer_id", "buyer_nickname", "raw", "payments"],
    subjects=(*BUYER, *SELLER),
    locate=_orders,
    erasure=Erasure.ANONYMIZE,
    anonymize=_order_buyer_erased,
    anonymize_for=_order_erased_for,
    why_kept="orders are fiscal records kept 5 years (LGPD Art. 16 I; CTN Art. 195)",
    provenance=ACCOUNT,
)


def _question_ids(subject: Subject) -> list[int]:
    return list(MLQuestion.objects.filter(from_id=subject.ml_user_id).values_list("pk", flat=True))


def _runs_listing(tenant: Tenant, subject: Subject) -> QuerySet[Any]:
    """Sync runs whose cursor lists one of the buyer's questions."""
    listing = Q(pk__in=[])
    for question_id in _question_ids(subject):
        listing |= Q(cursor__questions__listed__contains=[question_id])
    return SyncRun.objects.filter(listing)


def _cursor_without(run: SyncRun, subject: Subject) -> dict[str, Any]:
    erased = set(_question_ids(subject))
    cursor = dict(run.cursor)
    section = dict(cursor.get("questions") or {})
    section["listed"] = [i for i in section.get("listed") or [] if int(i) not in erased]
    cursor["questions"] = section
    return {"cursor": cursor}


# Declared before MLQuestion: the buyer's question ids leave the sync cursors that listed them
# while the questions are still there to say which ids are theirs; then the questions go.
personal_data(
    SyncRun,
    fields=["cursor"],
    subjects=BUYER,
    locate=_runs_listing,
    erasure=Erasure.ANONYMIZE,
    anonymize_for=_cursor_without,
    why_kept="a sync that stopped resumes from its cursor; only the erased questions' ids go",
    provenance=ACCOUNT,
)
personal_data(
    MLQuestion,
    fields=["from_id", "text", "raw"],
    subjects=BUYER,
    locate=lambda tenant, subject: MLQuestion.objects.filter(from_id=subject.ml_user_id),
    erasure=Erasure.DELETE,
    provenance=ACCOUNT,
)


personal_data(
    MLAccount,
    fields=["nickname", "connected_by"],
    subjects=SELLER,
    locate=lambda tenant, subject: (
        MLAccount.objects.all()
        if subject.owns(tenant)
        else MLAccount.objects.filter(connected_by__iexact=subject.email)
    ),
    erasure=Erasure.ANONYMIZE,
    anonymize=lambda account: {
        "nickname": "",
        "connected_by": erased_email(account.connected_by) if account.connected_by else "",
    },
    why_kept="the connection and its tokens keep the store working",
)
personal_data(
    MLConnection,
    fields=["nickname"],
    subjects=SELLER,
    locate=lambda tenant, subject: (
        MLConnection.objects.filter(tenant=tenant)
        if subject.owns(tenant)
        else MLConnection.objects.none()
    ),
    erasure=Erasure.ANONYMIZE,
    anonymize=lambda row: {"nickname": ""},
    why_kept="webhooks are routed to the store by this row",
    schema="public",
)
personal_data(
    MLAuthorization,
    fields=["started_by"],
    subjects=SELLER,
    locate=lambda tenant, subject: MLAuthorization.objects.filter(
        tenant=tenant, started_by__iexact=subject.email
    ),
    erasure=Erasure.ANONYMIZE,
    anonymize=lambda row: {"started_by": erased_email(row.started_by)},
    why_kept="connect attempts are the OAuth flow's security record",
    schema="public",
)
not_personal(
    MLNotification,
    fields=["payload"],
    reason="ML notifications carry only a topic, a resource path and the seller's numeric id",
)
not_personal(
    MLQuestion,
    fields=["answer_text"],
    reason="the seller's own answer; it goes with the question when a buyer's data is erased",
)
not_personal(MLItem, fields=["raw"], reason="the seller's own listings: products, not people")


@buyer_finder
def _buyers_by_nickname(nickname: str) -> set[int]:
    """Buyers under ``nickname`` in the store's orders and questions (ML's ``from.nickname``)."""
    in_orders = MLOrder.objects.filter(buyer_nickname__iexact=nickname, buyer_id__isnull=False)
    in_questions = MLQuestion.objects.filter(
        raw__from__nickname__iexact=nickname, from_id__isnull=False
    )
    ids = [
        *in_orders.values_list("buyer_id", flat=True).distinct(),
        *in_questions.values_list("from_id", flat=True).distinct(),
    ]
    return {buyer for buyer in ids if buyer is not None}
