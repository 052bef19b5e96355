"""An erased buyer stays erased: nothing that writes ML data brings them back.

A store is synced from the sandbox, one of its buyers (with orders and an unanswered question)
is erased, and then ML's data arrives again by each road: a notification, a full sync and the
scheduled incremental sync. After each, every text and JSON column of the store's schema and
the public schema is scanned for the buyer's values (``tests/support/personal_scan.py``).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass

import pytest
from django.apps import apps as django_apps
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import tenant_context

from compliance.audit.models import AuditAction, AuditEvent
from compliance.dsr.erasure import erasure_replay, subject_erase
from compliance.dsr.requests import dsr_erasure_complete, dsr_open
from compliance.models import (
    DataSubjectRequest,
    ErasedSubject,
    RequestKind,
    RequestScope,
    RequestStatus,
)
from doubles.mercadolivre.data import question_new
from doubles.mercadolivre.records import Buyer
from doubles.mercadolivre.render import order_json
from integrations.mercadolivre.inbox import notification_process
from integrations.mercadolivre.models import MLAccount, MLOrder, MLQuestion
from integrations.mercadolivre.sync import ml_sync_initial
from integrations.mercadolivre.tasks import ml_incremental_sync
from integrations.mercadolivre.upserts import orders_upsert
from tenants.models import Tenant
from tests.factories.users import staff_create
from tests.integrations.support import connect
from tests.integrations.test_inbox import deliver
from tests.support.personal_scan import personal_values_found
from tests.support.sandbox import SandboxAdmin

pytestmark = pytest.mark.django_db


@dataclass(frozen=True)
class Erased:
    tenant: Tenant
    seller_id: int
    buyer: Buyer
    order_ids: list[int]
    question_id: int
    request: DataSubjectRequest
    names: tuple[str, ...] = ()

    def values(self) -> list[str]:
        """What identifies the buyer: id as text, nickname, names (not shared with others)."""
        return [str(self.buyer.id), self.buyer.nickname, *self.names]

    def leftovers(self) -> list[str]:
        schemas = ["public", self.tenant.schema_name]
        return [str(f) for f in personal_values_found(self.values(), schemas=schemas)]


def _buyer_with_a_question(sandbox: SandboxAdmin, seller_id: int) -> tuple[Buyer, list[int], int]:
    """The seller's buyer with the most orders, given a new unanswered question on ML."""
    state = sandbox.server.state
    with state.lock:
        orders = [o for o in state.dataset.orders.values() if o.seller_id == seller_id]
        buyer = max(
            {o.buyer.id: o.buyer for o in orders}.values(),
            key=lambda b: sum(o.buyer.id == b.id for o in orders),
        )
        item = next(i for i in state.dataset.items.values() if i.seller_id == seller_id)
        question = question_new(
            state.event_rng, state.dataset, item=item, created=state.clock_tick()
        )
        question.buyer_id = buyer.id
        return buyer, [o.id for o in orders if o.buyer.id == buyer.id], question.id


def _unshared_names(sandbox: SandboxAdmin, buyer: Buyer) -> tuple[str, ...]:
    """The buyer's first and last name where no other sandbox buyer has them too."""
    others = [b for b in sandbox.server.state.dataset.buyers if b.id != buyer.id]
    names = [f"{buyer.first_name} {buyer.last_name}"]
    for name, field in ((buyer.first_name, "first_name"), (buyer.last_name, "last_name")):
        if all(getattr(other, field) != name for other in others):
            names.append(name)
    return tuple(names)


@pytest.fixture
def erased(sandbox, tenant_a, settings) -> Erased:
    settings.ML_RATE_LIMIT_PER_MINUTE = settings.ML_SELLER_RATE_LIMIT_PER_MINUTE = 100_000
    seller_id = connect(sandbox, tenant_a)
    buyer, order_ids, question_id = _buyer_with_a_question(sandbox, seller_id)
    ml_sync_initial(tenant=tenant_a)
    with tenant_context(tenant_a):
        # Before the erasure the store holds the buyer (the scan sees them).
        assert set(MLOrder.objects.filter(buyer_id=buyer.id).values_list("pk", flat=True)) == set(
            order_ids
        )
        assert MLQuestion.objects.get(pk=question_id).status == "UNANSWERED"
    request = dsr_open(
        tenant=tenant_a,
        scope=RequestScope.BUYER,
        kind=RequestKind.ERASURE,
        channel="e-mail",
        subject_ml_user_id=buyer.id,
    ).request
    dsr_erasure_complete(request=request, by=staff_create(), changed=subject_erase(request=request))
    request.refresh_from_db()
    assert request.status == RequestStatus.COMPLETED
    found = Erased(
        tenant=tenant_a,
        seller_id=seller_id,
        buyer=buyer,
        order_ids=order_ids,
        question_id=question_id,
        request=request,
        names=_unshared_names(sandbox, buyer),
    )
    assert found.leftovers() == []
    return found


def _orders_kept_anonymized(erased: Erased) -> None:
    """The orders stay as fiscal records (ids, amounts, status), without their buyer."""
    with tenant_context(erased.tenant):
        orders = list(MLOrder.objects.filter(pk__in=erased.order_ids))
        assert len(orders) == len(erased.order_ids)
        for order in orders:
            assert (order.buyer_id, order.buyer_nickname) == (None, "")
            assert order.total_cents > 0
            assert order.status
        assert not MLQuestion.objects.filter(pk=erased.question_id).exists()


def test_erasure_lists_the_buyer_on_the_stores_suppression_list(erased):
    listed = ErasedSubject.objects.get(tenant=erased.tenant)

    assert (listed.ml_user_id, listed.request) == (erased.buyer.id, erased.request)


def test_an_order_notification_after_the_erasure_does_not_bring_the_buyer_back(erased, clock):
    order_id = erased.order_ids[0]
    order = deliver(erased.seller_id, "orders_v2", f"/orders/{order_id}", "erased-order")
    question = deliver(
        erased.seller_id, "questions", f"/questions/{erased.question_id}", "erased-question"
    )

    assert notification_process(notification_id=order.pk, clock=clock) == "processed"
    assert notification_process(notification_id=question.pk, clock=clock) == "processed"

    assert erased.leftovers() == []
    _orders_kept_anonymized(erased)


def test_a_full_sync_after_the_erasure_does_not_bring_the_buyer_back(erased, capsys):
    call_command("initial_sync", "--tenant-id", str(erased.tenant.public_id), "--full-sync")

    assert '"status": "succeeded"' in capsys.readouterr().out
    assert erased.leftovers() == []
    _orders_kept_anonymized(erased)


def test_the_scheduled_sync_after_the_erasure_does_not_bring_the_buyer_back(erased, sandbox):
    sandbox.http.post(
        "/_sandbox/events",
        json={
            "type": "order_updated",
            "seller_id": erased.seller_id,
            "order_id": erased.order_ids[0],
        },
    ).raise_for_status()

    with tenant_context(erased.tenant):
        result = ml_incremental_sync.apply().get()

    assert result["status"] == "succeeded"
    assert erased.leftovers() == []
    _orders_kept_anonymized(erased)


def test_another_buyers_orders_are_stored_as_ml_sends_them(erased, sandbox):
    state = sandbox.server.state
    other = next(
        o
        for o in state.dataset.orders.values()
        if o.seller_id == erased.seller_id and o.buyer.id != erased.buyer.id
    )
    with tenant_context(erased.tenant):
        MLOrder.objects.filter(pk=other.id).delete()
        call_command("initial_sync", "--tenant-id", str(erased.tenant.public_id), "--full-sync")
        stored = MLOrder.objects.get(pk=other.id)
    assert (stored.buyer_id, stored.buyer_nickname) == (other.buyer.id, other.buyer.nickname)


def test_an_erasure_replay_keeps_the_list_and_writes_its_audit_event(erased):
    with tenant_context(erased.tenant):  # a restore brought one order's buyer back
        MLOrder.objects.filter(pk=erased.order_ids[0]).update(
            buyer_id=erased.buyer.id, buyer_nickname=erased.buyer.nickname
        )

    changed = erasure_replay(request=erased.request)

    assert changed["mercadolivre.MLOrder"] == 1
    assert erased.leftovers() == []
    assert ErasedSubject.objects.filter(tenant=erased.tenant).count() == 1
    replays = AuditEvent.objects.filter(action=AuditAction.DATA_ERASURE, details__replay=True)
    assert replays.count() == 1


def test_erasures_done_before_the_list_existed_join_it(erased):
    ErasedSubject.objects.all().delete()  # as before the list's migration
    migration = importlib.import_module("compliance.migrations.0005_erased_subjects")

    migration.erasures_listed(django_apps, None)

    listed = ErasedSubject.objects.get(tenant=erased.tenant)
    assert (listed.ml_user_id, listed.request) == (erased.buyer.id, erased.request)


def test_a_partial_answer_after_the_erasure_keeps_the_order_anonymized(erased, sandbox):
    sandbox.faults(partial_orders=True)  # 206: the buyer left out, the stored copy fills it in

    with tenant_context(erased.tenant):
        outcome = ml_sync_initial(tenant=erased.tenant, full=True)

    assert outcome.status == "succeeded"
    assert erased.leftovers() == []
    _orders_kept_anonymized(erased)


def test_the_list_is_asked_once_per_batch_however_many_orders(erased, sandbox):
    state = sandbox.server.state
    with state.lock:
        bodies = [
            order_json(order, state.seller(erased.seller_id))
            for order in state.dataset.orders.values()
            if order.seller_id == erased.seller_id
        ]
    assert len(bodies) > 2

    with tenant_context(erased.tenant):
        account = MLAccount.objects.get(ml_user_id=erased.seller_id)
        with CaptureQueriesContext(connection) as one:
            orders_upsert(bodies[:1], account=account)
        with CaptureQueriesContext(connection) as many:
            orders_upsert(bodies, account=account)

    def statements(captured: CaptureQueriesContext) -> list[str]:
        return [q["sql"] for q in captured.captured_queries if not q["sql"].startswith("SET ")]

    assert len([sql for sql in statements(many) if "compliance_erasedsubject" in sql]) == 1
    assert len(statements(many)) == len(statements(one))
