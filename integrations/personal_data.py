"""Personal data in the Mercado Livre integration: buyers in orders and questions, the seller's
ML account, and who connected it."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from compliance.dsr.scrub import erased_email
from compliance.registry import Erasure, Subject, SubjectKind, not_personal, personal_data
from integrations.mercadolivre.erased import order_buyer_erased
from integrations.mercadolivre.models import MLAccount, MLItem, MLOrder, MLQuestion
from integrations.models import MLAuthorization, MLConnection, MLNotification
from tenants.models import Tenant

BUYER = (SubjectKind.BUYER,)
SELLER = (SubjectKind.SELLER_USER,)


def _orders(tenant: Tenant, subject: Subject) -> QuerySet[Any]:
    return MLOrder.objects.filter(buyer_id=subject.ml_user_id)


personal_data(
    MLOrder,
    fields=["buyer_id", "buyer_nickname", "raw", "payments"],
    subjects=BUYER,
    locate=_orders,
    erasure=Erasure.ANONYMIZE,
    anonymize=lambda order: order_buyer_erased(raw=order.raw, payments=order.payments),
    why_kept="orders are fiscal records kept 5 years (LGPD Art. 16 I; CTN Art. 195)",
)
personal_data(
    MLQuestion,
    fields=["from_id", "text", "raw"],
    subjects=BUYER,
    locate=lambda tenant, subject: MLQuestion.objects.filter(from_id=subject.ml_user_id),
    erasure=Erasure.DELETE,
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
