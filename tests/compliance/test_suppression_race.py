"""An erasure racing a write of the same buyer's order: whichever goes first, the buyer ends up
erased (the suppression list's lock orders them)."""

import threading

from django.db import connection, transaction
from django_tenants.utils import tenant_context

from compliance.dsr.erasure import subject_erase
from compliance.dsr.requests import dsr_open
from compliance.models import RequestKind, RequestScope
from integrations.mercadolivre.models import MLOrder
from integrations.mercadolivre.upserts import orders_upsert
from tenants.models import Tenant
from tests.compliance.consent.test_race import wait_for_a_lock_waiter
from tests.support.ml import account_add

BUYER = 424242001
ORDER = 2000000777
SELLER = 5550777


def order_body() -> dict[str, object]:
    return {
        "id": ORDER,
        "status": "paid",
        "date_created": "2026-11-20T12:00:00.000-03:00",
        "date_last_updated": "2026-11-20T12:00:00.000-03:00",
        "total_amount": 50.0,
        "currency_id": "BRL",
        "buyer": {"id": BUYER, "nickname": "CORRIDA_COMPRADOR", "first_name": "Corrida"},
    }


def race(tenant, *, first, second) -> None:
    """``first`` runs in a transaction held open until ``second`` waits on the lock."""
    errors: list[BaseException] = []
    holding = threading.Event()

    def first_side() -> None:
        try:
            with tenant_context(tenant), transaction.atomic():
                first()
                holding.set()
                wait_for_a_lock_waiter()
        except BaseException as exc:
            errors.append(exc)
            holding.set()
        finally:
            connection.close()

    def second_side() -> None:
        try:
            holding.wait(10)
            with tenant_context(tenant):
                second()
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=first_side), threading.Thread(target=second_side)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not errors, errors


def erasure_request(tenant):
    return dsr_open(
        tenant=tenant,
        scope=RequestScope.BUYER,
        kind=RequestKind.ERASURE,
        channel="e-mail",
        subject_ml_user_id=BUYER,
    ).request


def stored_buyer(tenant) -> tuple[object, str]:
    with tenant_context(tenant):
        order = MLOrder.objects.get(pk=ORDER)
    return order.buyer_id, order.buyer_nickname


def test_an_order_written_just_before_the_erasure_is_anonymized_by_it(committed_db):
    tenant = Tenant.objects.get(schema_name="tenant-a")
    request = erasure_request(tenant)
    account = account_add(tenant, ml_user_id=SELLER, nickname="LOJA_CORRIDA")

    race(
        tenant,
        first=lambda: orders_upsert([order_body()], account=account),
        second=lambda: subject_erase(request=request),
    )

    assert stored_buyer(tenant) == (None, "")


def test_an_order_written_during_the_erasure_is_checked_after_it(committed_db):
    tenant = Tenant.objects.get(schema_name="tenant-a")
    request = erasure_request(tenant)
    account = account_add(tenant, ml_user_id=SELLER, nickname="LOJA_CORRIDA")

    race(
        tenant,
        first=lambda: subject_erase(request=request),
        second=lambda: orders_upsert([order_body()], account=account),
    )

    assert stored_buyer(tenant) == (None, "")
