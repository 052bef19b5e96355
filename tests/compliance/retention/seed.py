"""Rows for retention tests: each helper makes one row dated ``days`` before ``NOW``."""

from __future__ import annotations

import os
from datetime import timedelta
from itertools import count
from pathlib import Path

from billing.models import StripeEvent
from compliance.audit.models import ActorKind, AuditAction, AuditEvent
from integrations.mercadolivre.models import MLAccount, MLOrder, MLQuestion
from integrations.models import MLNotification
from tests.compliance.retention.conftest import NOW
from tests.factories import inbox

_ids = count(1)


def ago(days: float):
    return NOW - timedelta(days=days)


def order(
    *,
    closed_days_ago: float | None,
    updated_days_ago: float | None = None,
    account: MLAccount | None = None,
) -> MLOrder:
    order_id = 4_000_000_000 + next(_ids)
    updated = ago(updated_days_ago if updated_days_ago is not None else closed_days_ago or 0)
    return MLOrder.objects.create(
        id=order_id,
        account=account,
        status="paid",
        date_created=updated,
        date_closed=None if closed_days_ago is None else ago(closed_days_ago),
        last_updated=updated,
        total_cents=5000,
        paid_cents=5000,
        currency="BRL",
        buyer_id=987654321,
        buyer_nickname="COMPRADOR_ZEBEDEU",
        items=[{"item_id": "MLB1", "quantity": 1}],
        payments=[{"id": order_id + 1, "payer_id": 987654321}],
        raw={"id": order_id, "buyer": {"id": 987654321, "first_name": "Zebedeu"}},
        synced_at=updated,
    )


def question(*, days_ago: float, account: MLAccount | None = None) -> MLQuestion:
    return MLQuestion.objects.create(
        id=5_000_000_000 + next(_ids),
        account=account,
        item_id="MLB1",
        text="Tem azul?",
        status="ANSWERED",
        date_created=ago(days_ago),
        last_updated=ago(days_ago),
        from_id=987654321,
        raw={"from": {"id": 987654321}},
        synced_at=ago(days_ago),
    )


def notification(*, status: str, days_ago: float, tenant=None) -> MLNotification:
    n = next(_ids)
    row = inbox.ml_notification(
        dedup_key=f"retention-{n}",
        resource=f"/orders/{n}",
        ml_user_id=5550001,
        payload={"resource": f"/orders/{n}"},
        status=status,
        arrived_at=ago(days_ago),
        tenant=tenant,
    )
    row.save(force_insert=True)
    return row


def stripe_event(*, status: str, days_ago: float, tenant=None) -> StripeEvent:
    row = inbox.stripe_event(
        event_id=f"evt_retention_{next(_ids)}",
        status=status,
        received_at=ago(days_ago),
        tenant=tenant,
    )
    row.save(force_insert=True)
    return row


def audit_event(*, days_ago: float) -> AuditEvent:
    return AuditEvent.objects.create(
        occurred_at=ago(days_ago),
        action=AuditAction.LOGIN_SUCCEEDED,
        actor_kind=ActorKind.USER,
        actor_email="owner@a.example.com",
    )


def export_file(media: Path, store: str, name: str, *, days_ago: float) -> Path:
    path = media / "exports" / store / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"PK zip")
    stamp = ago(days_ago).timestamp()
    os.utime(path, (stamp, stamp))
    return path
